package reports

// FoldLock is the fold's advisory lock key, for tests that hold it.
const FoldLock = foldLock
