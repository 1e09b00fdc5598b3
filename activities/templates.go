package activities

import (
	"context"
	"fmt"

	"github.com/wabascrm/scrm/models/templates"
	"github.com/wabascrm/scrm/waba"
)

// TemplateLister reads a WABA's templates from the Cloud API.
type TemplateLister interface {
	ListTemplates(ctx context.Context, wabaID, name string) ([]waba.TemplateInfo, error)
}

// TemplateSync holds the dependencies of the template reconcile activity.
type TemplateSync struct {
	Store templates.TemplateStore
	API   TemplateLister
}

// ReconcileResult says what one reconcile pass saw and changed.
type ReconcileResult struct {
	WABAs, Seen, Changed int
	Failed               []string // WABA ids whose listing failed (retried next pass)
}

// ReconcileTemplates pulls every known WABA's template statuses from Meta
// and applies them. One WABA failing does not stop the others.
func (a *TemplateSync) ReconcileTemplates(ctx context.Context) (ReconcileResult, error) {
	ids, err := a.Store.WABAIDs(ctx)
	if err != nil {
		return ReconcileResult{}, fmt.Errorf("list WABAs: %w", err)
	}
	res := ReconcileResult{WABAs: len(ids)}
	for _, id := range ids {
		infos, err := a.API.ListTemplates(ctx, id, "")
		if err != nil {
			res.Failed = append(res.Failed, id)
			continue
		}
		n, err := a.Store.Reconcile(ctx, infos)
		if err != nil {
			return res, err
		}
		res.Seen += len(infos)
		res.Changed += n
	}
	return res, nil
}
