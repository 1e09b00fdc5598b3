package models

import "time"

// ServiceWindow is Meta's customer-service window: a customer who wrote
// within it can be messaged without using the messaging limit.
const ServiceWindow = 24 * time.Hour
