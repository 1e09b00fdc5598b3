// Package campaigns holds template-first outreach: campaigns, their audience
// and claims, recipient outcomes, tools (preview, export, test send) and retries.
package campaigns
