// Package journeys holds multi-step outreach (issue #19): a journey's
// versioned definition (a list of steps with ids), its pure rules
// (Validate, Next, WaitUntil), and the store of journeys, their immutable
// versions, per-contact enrollments and per-step funnel counters. The
// JourneyEnrollmentWorkflow (workflows/journey.go) runs one enrollment over
// its version's steps; Temporal owns the time, PostgreSQL the data.
package journeys
