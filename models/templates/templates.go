package templates

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/waba"
)

// Template statuses (DRAFT is ours: created but not yet submitted).
const (
	TplDraft    = "DRAFT"
	TplPending  = "PENDING"
	TplApproved = "APPROVED"
	TplRejected = "REJECTED"
	TplPaused   = "PAUSED"
	TplDisabled = "DISABLED"
)

// Template is a message template and its review state.
type Template struct {
	ID       int64  `json:"id" gorm:"primaryKey"`
	Name     string `json:"name"`
	Language string `json:"language"`
	Category string `json:"category"`
	// PreviousCategory is the category before Meta last recategorised the
	// template; UpcomingCategory a change Meta announced for UpcomingCategoryAt.
	PreviousCategory   *string         `json:"previousCategory,omitempty"`
	UpcomingCategory   *string         `json:"upcomingCategory,omitempty"`
	UpcomingCategoryAt *time.Time      `json:"upcomingCategoryAt,omitempty"`
	ParameterFormat    string          `json:"parameterFormat"`
	Components         json.RawMessage `json:"components" gorm:"type:jsonb"`
	Status             string          `json:"status"`
	Quality            string          `json:"quality,omitempty"`
	Reason             string          `json:"reason,omitempty"`
	// PacedSince: WhatsApp's template pacing holds this template's sends
	// (a send came back held_for_quality_assessment); its campaigns wait.
	PacedSince *time.Time `json:"pacedSince,omitempty"`
	MetaID     *string    `json:"metaId,omitempty" gorm:"column:meta_id"`
	WABAID     string     `json:"wabaId" gorm:"column:waba_id"`
	CreatedAt  time.Time  `json:"createdAt"`
	UpdatedAt  time.Time  `json:"updatedAt"`
}

// TemplateComponent is a component in Meta's creation format.
type TemplateComponent struct {
	Type    string           `json:"type"`
	Format  string           `json:"format,omitempty"`
	Text    string           `json:"text,omitempty"`
	Buttons []TemplateButton `json:"buttons,omitempty"`
	Example json.RawMessage  `json:"example,omitempty"`
}

// TemplateButton is one button of a BUTTONS component.
type TemplateButton struct {
	Type        string          `json:"type"` // QUICK_REPLY URL PHONE_NUMBER COPY_CODE
	Text        string          `json:"text"`
	URL         string          `json:"url,omitempty"`
	PhoneNumber string          `json:"phone_number,omitempty"`
	Example     json.RawMessage `json:"example,omitempty"`
}

var (
	templateNameRE = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)
	VarPattern     = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)
	namedVarRE     = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	languageRE     = regexp.MustCompile(`^[a-z]{2,3}(_[A-Z]{2})?$`)
)

func templateVars(text string) []string {
	var out []string
	for _, m := range VarPattern.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

// Components decodes t.Components.
func (t Template) ParsedComponents() ([]TemplateComponent, error) {
	var cs []TemplateComponent
	if err := json.Unmarshal(t.Components, &cs); err != nil {
		return nil, models.FieldError(models.EInvalid, "components", "must be an array of components: %v", err)
	}
	return cs, nil
}

// TemplateStore keeps templates.
type TemplateStore struct{ DB *gorm.DB }

// TemplateFilter narrows List.
type TemplateFilter struct {
	Status, Name, Language, Category string
}

// Render is RenderTemplate of the stored template id.
func (st TemplateStore) Render(ctx context.Context, id int64, mapping, values map[string]string) (RenderedTemplate, error) {
	t, err := st.Get(ctx, id)
	if err != nil {
		return RenderedTemplate{}, err
	}
	return RenderTemplate(t, mapping, values)
}

// Create validates and stores t as a DRAFT.
func (st TemplateStore) Create(ctx context.Context, t Template) (Template, error) {
	if len(t.Components) == 0 {
		return Template{}, models.FieldError(models.EInvalid, "components", "is required")
	}
	if err := ValidateTemplate(&t); err != nil {
		return Template{}, err
	}
	t.ID, t.Status, t.MetaID, t.Reason, t.Quality = 0, TplDraft, nil, "", ""
	if err := st.DB.WithContext(ctx).Create(&t).Error; err != nil {
		if models.IsUniqueViolation(err) {
			return Template{}, models.FieldError(models.EConflict, "name", "template %s already exists in %s", t.Name, t.Language)
		}
		return Template{}, fmt.Errorf("create template: %w", err)
	}
	return t, nil
}

// Get returns one template.
func (st TemplateStore) Get(ctx context.Context, id int64) (Template, error) {
	var t Template
	err := st.DB.WithContext(ctx).First(&t, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Template{}, models.Errorf(models.ENotFound, "template %d not found", id)
	}
	if err != nil {
		return Template{}, fmt.Errorf("get template %d: %w", id, err)
	}
	return t, nil
}

// List returns templates matching f.
func (st TemplateStore) List(ctx context.Context, f TemplateFilter) ([]Template, error) {
	q := st.DB.WithContext(ctx).Order("name, language")
	if f.Status != "" {
		q = q.Where("status = ?", strings.ToUpper(f.Status))
	}
	if f.Name != "" {
		q = q.Where("name LIKE ?", "%"+strings.NewReplacer("%", `\%`, "_", `\_`).Replace(f.Name)+"%")
	}
	if f.Language != "" {
		q = q.Where("language = ?", f.Language)
	}
	if f.Category != "" {
		q = q.Where("category = ?", strings.ToUpper(f.Category))
	}
	out := []Template{}
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	return out, nil
}

// TemplateSubmitter submits a template for review (the waba client).
type TemplateSubmitter interface {
	CreateTemplate(ctx context.Context, wabaID string, t waba.TemplateDef) (waba.TemplateCreated, error)
}

// Submit sends a template for review and records Meta's id. A DRAFT or
// REJECTED one is a submission; any other is a resubmission, for a
// template WhatsApp no longer has (its account was reset, or it was deleted
// in WhatsApp Manager): Meta refuses one it still has ("already exists"),
// answered 409, and otherwise reviews it afresh (PENDING).
func (st TemplateStore) Submit(ctx context.Context, c TemplateSubmitter, id int64) (Template, error) {
	t, err := st.Get(ctx, id)
	if err != nil {
		return Template{}, err
	}
	resubmit := t.Status != TplDraft && t.Status != TplRejected
	if t.WABAID == "" {
		return Template{}, models.FieldError(models.EUnprocessable, "wabaId", "the template has no WhatsApp Business Account")
	}
	res, err := c.CreateTemplate(ctx, t.WABAID, waba.TemplateDef{Name: t.Name, Language: t.Language, Category: t.Category,
		ParameterFormat: t.ParameterFormat, Components: t.Components})
	if err != nil {
		var ae *waba.APIError
		if resubmit && errors.As(err, &ae) && ae.Subcode == waba.SubcodeTemplateExists {
			return Template{}, models.Errorf(models.EConflict, "WhatsApp still has template %s (%s), %s: nothing to resubmit", t.Name, t.Language, t.Status)
		}
		if errors.As(err, &ae) && !ae.Retryable() {
			return Template{}, models.FieldError(models.EUnprocessable, "template", "WhatsApp refused the template: %s %s", ae.Message, ae.Details()).WithErr(err)
		}
		return Template{}, &models.Error{Code: models.EUnavailable, Message: "cannot reach WhatsApp", Err: err}
	}
	status := strings.ToUpper(res.Status)
	if status == "" {
		status = TplPending
	}
	// A review webhook may already have arrived: only move forward from
	// what was submitted (a resubmission starts from its old status).
	err = st.DB.WithContext(ctx).Exec(`UPDATE templates SET meta_id = ?, status = CASE WHEN status IN ('DRAFT','REJECTED') OR status = ? THEN ? ELSE status END,
		reason = '', paced_since = NULL, updated_at = now() WHERE id = ?`, res.ID, t.Status, status, id).Error
	if err != nil {
		return Template{}, fmt.Errorf("record submission: %w", err)
	}
	return st.Get(ctx, id)
}

// Delete removes a template locally.
func (st TemplateStore) Delete(ctx context.Context, id int64) error {
	res := st.DB.WithContext(ctx).Delete(&Template{}, id)
	if res.Error != nil {
		return fmt.Errorf("delete template %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return models.Errorf(models.ENotFound, "template %d not found", id)
	}
	return nil
}

// Reconcile applies the statuses Meta reports for a WABA's templates (the
// periodic safety net behind message_template_status_update webhooks) and
// returns how many local templates changed. Templates Meta does not know
// are left alone (DRAFT ones were never submitted).
func (st TemplateStore) Reconcile(ctx context.Context, infos []waba.TemplateInfo) (changed int, err error) {
	for _, in := range infos {
		status := strings.ToUpper(in.Status)
		switch status {
		case TplPending, TplApproved, TplRejected, TplPaused, TplDisabled:
		default:
			continue // IN_APPEAL, PENDING_DELETION...: nothing we model
		}
		// The template and the campaigns its status holds or releases
		// move together, as with the webhook.
		err := st.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var ids []int64
			if err := tx.Raw(`UPDATE templates SET status = ?, reason = ?, meta_id = COALESCE(meta_id, NULLIF(?, '')), updated_at = now()
				WHERE (meta_id = ? OR (name = ? AND language = ? AND meta_id IS NULL)) AND (status <> ? OR reason <> ?) RETURNING id`,
				status, in.RejectedReason, in.ID, in.ID, in.Name, in.Language, status, in.RejectedReason).Scan(&ids).Error; err != nil {
				return err
			}
			changed += len(ids)
			_, err := HoldCampaigns(tx, ids, status, HoldReason(in.Name, in.Language, status, in.RejectedReason))
			return err
		})
		if err != nil {
			return changed, fmt.Errorf("reconcile template %s/%s: %w", in.Name, in.Language, err)
		}
	}
	return changed, nil
}

// WABAIDs lists the WhatsApp Business Accounts the product knows (from
// templates and senders).
func (st TemplateStore) WABAIDs(ctx context.Context) ([]string, error) {
	var ids []string
	err := st.DB.WithContext(ctx).Raw(`SELECT waba_id FROM templates WHERE waba_id <> ''
		UNION SELECT waba_id FROM senders WHERE waba_id <> '' ORDER BY 1`).Scan(&ids).Error
	return ids, err
}
