// Package reports holds the reports of the floor and of outreach: rollups
// that PostgreSQL triggers keep in the transaction of each event (migration
// 00110), the rules that turn them into numbers (business seconds,
// percentiles from fixed histogram buckets, date ranges, scope) as pure
// functions, the store that reads them, and the rate card that prices
// Meta's pricing object of each message.
package reports
