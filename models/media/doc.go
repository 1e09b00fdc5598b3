// Package media is the inbox's files, both ways: WhatsApp's media rule
// (kinds, content types and size limits), thumbnails, the media rows that
// tie a file to its message, the blob stores that hold the bytes (a
// directory, or an S3-compatible bucket) and the short-lived signed links
// that let a browser load a file the server has authorised.
package media
