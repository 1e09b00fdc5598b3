// Package ingest stores what Meta's webhooks deliver: customer messages,
// app echoes and history, statuses, template and number updates, in one
// transaction per delivery, isolating poison items; and the window
// signals the workers relay to Temporal.
package ingest
