package main

import (
	"context"

	"github.com/wabascrm/scrm/activities"
)

// routeConversation routes a conversation through the activities' inbox
// store (it publishes the assignment's events).
func routeConversation(s activities.InboxStore) func(context.Context, int64) error {
	return func(ctx context.Context, id int64) error {
		_, err := s.Route(ctx, id)
		return err
	}
}
