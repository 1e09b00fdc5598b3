package templates

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
	ID              int64           `json:"id" gorm:"primaryKey"`
	Name            string          `json:"name"`
	Language        string          `json:"language"`
	Category        string          `json:"category"`
	ParameterFormat string          `json:"parameterFormat"`
	Components      json.RawMessage `json:"components" gorm:"type:jsonb"`
	Status          string          `json:"status"`
	Quality         string          `json:"quality,omitempty"`
	Reason          string          `json:"reason,omitempty"`
	MetaID          *string         `json:"metaId,omitempty" gorm:"column:meta_id"`
	WABAID          string          `json:"wabaId" gorm:"column:waba_id"`
	CreatedAt       time.Time       `json:"createdAt"`
	UpdatedAt       time.Time       `json:"updatedAt"`
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

// ValidateTemplate applies Meta's creation rules so a template is refused
// here rather than by review: lowercase/underscore name, one BODY of at most
// 1024 characters, {{1}}..{{n}} contiguous in each component (or lowercase
// names for NAMED), and example values for every variable.
func ValidateTemplate(t *Template) error {
	if !templateNameRE.MatchString(t.Name) {
		return models.FieldError(models.EInvalid, "name", "use lowercase letters, digits and underscores only")
	}
	if !languageRE.MatchString(t.Language) {
		return models.FieldError(models.EInvalid, "language", "must be a language code like id or en_US")
	}
	switch t.Category {
	case "MARKETING", "UTILITY", "AUTHENTICATION":
	default:
		return models.FieldError(models.EInvalid, "category", "must be MARKETING, UTILITY or AUTHENTICATION")
	}
	if t.ParameterFormat == "" {
		t.ParameterFormat = "POSITIONAL"
	}
	if t.ParameterFormat != "POSITIONAL" && t.ParameterFormat != "NAMED" {
		return models.FieldError(models.EInvalid, "parameterFormat", "must be POSITIONAL or NAMED")
	}
	cs, err := t.ParsedComponents()
	if err != nil {
		return err
	}
	bodies := 0
	for i, c := range cs {
		field := fmt.Sprintf("components[%d]", i)
		c.Type = strings.ToUpper(c.Type)
		switch c.Type {
		case "BODY":
			bodies++
			if strings.TrimSpace(c.Text) == "" {
				return models.FieldError(models.EInvalid, field+".text", "body text is required")
			}
			if n := utf8.RuneCountInString(c.Text); n > 1024 {
				return models.FieldError(models.EInvalid, field+".text", "body is %d characters; the limit is 1024", n)
			}
		case "HEADER":
			switch strings.ToUpper(c.Format) {
			case "", "TEXT":
				if utf8.RuneCountInString(c.Text) > 60 {
					return models.FieldError(models.EInvalid, field+".text", "header text is limited to 60 characters")
				}
			case "IMAGE", "VIDEO", "DOCUMENT", "LOCATION":
			default:
				return models.FieldError(models.EInvalid, field+".format", "must be TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION")
			}
		case "FOOTER":
			if utf8.RuneCountInString(c.Text) > 60 {
				return models.FieldError(models.EInvalid, field+".text", "footer is limited to 60 characters")
			}
			if len(templateVars(c.Text)) > 0 {
				return models.FieldError(models.EInvalid, field+".text", "footer cannot have variables")
			}
		case "BUTTONS":
			if len(c.Buttons) == 0 || len(c.Buttons) > 10 {
				return models.FieldError(models.EInvalid, field+".buttons", "1 to 10 buttons")
			}
			for j, b := range c.Buttons {
				bf := fmt.Sprintf("%s.buttons[%d]", field, j)
				if b.Text == "" || utf8.RuneCountInString(b.Text) > 25 {
					return models.FieldError(models.EInvalid, bf+".text", "button text is required, at most 25 characters")
				}
				vars := templateVars(b.URL)
				if err := checkVars(bf+".url", vars, "POSITIONAL"); err != nil {
					return err
				}
				if len(vars) > 1 {
					return models.FieldError(models.EInvalid, bf+".url", "a URL button has at most one variable")
				}
				if len(vars) > 0 && len(b.Example) == 0 {
					return models.FieldError(models.EInvalid, bf+".example", "an example URL is required for the variable")
				}
			}
		default:
			return models.FieldError(models.EInvalid, field+".type", "must be HEADER, BODY, FOOTER or BUTTONS")
		}
		vars := templateVars(c.Text)
		if err := checkVars(field+".text", vars, t.ParameterFormat); err != nil {
			return err
		}
		if len(vars) > 0 {
			if err := checkExamples(field+".example", c, len(unique(vars)), t.ParameterFormat); err != nil {
				return err
			}
		}
	}
	if bodies != 1 {
		return models.FieldError(models.EInvalid, "components", "exactly one BODY component is required")
	}
	return nil
}

func unique(vs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range vs {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// checkVars requires positional variables to be {{1}}..{{n}} in order of
// first appearance (numbering restarts in each component).
func checkVars(field string, vars []string, format string) error {
	if format == "NAMED" {
		for _, v := range vars {
			if !namedVarRE.MatchString(v) {
				return models.FieldError(models.EInvalid, field, "named variable {{%s}} must be lowercase letters, digits and underscores", v)
			}
		}
		return nil
	}
	for i, v := range unique(vars) {
		if v != strconv.Itoa(i+1) {
			return models.FieldError(models.EInvalid, field, "variables must be {{1}}..{{n}} without gaps, in order; found {{%s}} at position %d", v, i+1)
		}
	}
	return nil
}

func checkExamples(field string, c TemplateComponent, n int, format string) error {
	if len(c.Example) == 0 {
		return models.FieldError(models.EInvalid, field, "example values are required for %d variable(s)", n)
	}
	var ex struct {
		HeaderText  []string   `json:"header_text"`
		BodyText    [][]string `json:"body_text"`
		HeaderNamed []struct{} `json:"header_text_named_params"`
		BodyNamed   []struct{} `json:"body_text_named_params"`
	}
	if err := json.Unmarshal(c.Example, &ex); err != nil {
		return models.FieldError(models.EInvalid, field, "example is malformed: %v", err)
	}
	got := 0
	switch {
	case format == "NAMED" && strings.EqualFold(c.Type, "BODY"):
		got = len(ex.BodyNamed)
	case format == "NAMED":
		got = len(ex.HeaderNamed)
	case strings.EqualFold(c.Type, "BODY") && len(ex.BodyText) > 0:
		got = len(ex.BodyText[0])
	default:
		got = len(ex.HeaderText)
	}
	if got != n {
		return models.FieldError(models.EInvalid, field, "%d example value(s) for %d variable(s)", got, n)
	}
	return nil
}

// RenderedComponent is one component's filled parameters, in order.
type RenderedComponent struct {
	Type   string   // header, body, button
	Index  int      // button index
	Names  []string // variable names ("1", "2" or named)
	Values []string
}

// RenderedTemplate is a template ready to send plus its preview text.
type RenderedTemplate struct {
	Name, Language, Format string
	Preview                string
	Components             []RenderedComponent
}

// RenderTemplate fills every variable: the key of a variable is
// "header.<var>", "body.<var>" or "button.<index>.<var>"; mapping turns a
// key into a field name of values (contact/case fields such as
// "contact.name"); without a mapping the key itself is looked up. Missing
// values are all reported at once, before any send.
func RenderTemplate(t Template, mapping, values map[string]string) (RenderedTemplate, error) {
	cs, err := t.ParsedComponents()
	if err != nil {
		return RenderedTemplate{}, err
	}
	out := RenderedTemplate{Name: t.Name, Language: t.Language, Format: t.ParameterFormat}
	var missing []string
	var preview []string
	fill := func(prefix, text string) ([]string, []string, string) {
		names := unique(templateVars(text))
		vals := make([]string, len(names))
		for i, n := range names {
			key := prefix + "." + n
			src := key
			if m, ok := mapping[key]; ok && m != "" {
				src = m
			}
			v := strings.TrimSpace(values[src])
			if v == "" {
				missing = append(missing, key)
			}
			vals[i] = v
		}
		filled := VarPattern.ReplaceAllStringFunc(text, func(m string) string {
			n := VarPattern.FindStringSubmatch(m)[1]
			for i, name := range names {
				if name == n {
					return vals[i]
				}
			}
			return m
		})
		return names, vals, filled
	}
	for _, c := range cs {
		switch strings.ToUpper(c.Type) {
		case "HEADER", "BODY":
			typ := strings.ToLower(c.Type)
			names, vals, filled := fill(typ, c.Text)
			if filled != "" {
				preview = append(preview, filled)
			}
			if len(names) > 0 {
				out.Components = append(out.Components, RenderedComponent{Type: typ, Names: names, Values: vals})
			}
		case "FOOTER":
			preview = append(preview, c.Text)
		case "BUTTONS":
			for i, b := range c.Buttons {
				names, vals, _ := fill("button."+strconv.Itoa(i), b.URL)
				if len(names) > 0 {
					out.Components = append(out.Components, RenderedComponent{Type: "button", Index: i, Names: names, Values: vals})
				}
			}
		}
	}
	if len(missing) > 0 {
		return out, &models.Error{Code: models.EUnprocessable, Field: "variables", Message: "missing values for " + strings.Join(missing, ", "),
			Details: map[string]any{"missing": missing}}
	}
	out.Preview = strings.Join(preview, "\n")
	return out, nil
}

// WABA converts r into the template object of a send.
func (r RenderedTemplate) WABA() waba.Template {
	t := waba.Template{Name: r.Name, Language: waba.TemplateLanguage{Code: r.Language}}
	for _, c := range r.Components {
		wc := waba.TemplateComponent{Type: c.Type}
		if c.Type == "button" {
			wc.SubType, wc.Index = "url", strconv.Itoa(c.Index)
		}
		for i, v := range c.Values {
			p := waba.TemplateParameter{Type: "text", Text: v}
			if r.Format == "NAMED" && c.Type != "button" {
				p.ParameterName = c.Names[i]
			}
			wc.Parameters = append(wc.Parameters, p)
		}
		t.Components = append(t.Components, wc)
	}
	return t
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

// Submit sends a DRAFT or REJECTED template for review and records Meta's id.
func (st TemplateStore) Submit(ctx context.Context, c TemplateSubmitter, id int64) (Template, error) {
	t, err := st.Get(ctx, id)
	if err != nil {
		return Template{}, err
	}
	if t.Status != TplDraft && t.Status != TplRejected {
		return Template{}, models.Errorf(models.EConflict, "template %s is %s; only DRAFT or REJECTED templates can be submitted", t.Name, t.Status)
	}
	if t.WABAID == "" {
		return Template{}, models.FieldError(models.EUnprocessable, "wabaId", "the template has no WhatsApp Business Account")
	}
	res, err := c.CreateTemplate(ctx, t.WABAID, waba.TemplateDef{Name: t.Name, Language: t.Language, Category: t.Category,
		ParameterFormat: t.ParameterFormat, Components: t.Components})
	if err != nil {
		var ae *waba.APIError
		if errors.As(err, &ae) && !ae.Retryable() {
			return Template{}, &models.Error{Code: models.EUnprocessable, Field: "template", Message: "WhatsApp refused the template: " + ae.Message + " " + ae.Details(), Err: err}
		}
		return Template{}, &models.Error{Code: models.EUnavailable, Message: "cannot reach WhatsApp", Err: err}
	}
	status := strings.ToUpper(res.Status)
	if status == "" {
		status = TplPending
	}
	// A review webhook may already have arrived: only move forward from DRAFT/REJECTED.
	err = st.DB.WithContext(ctx).Exec(`UPDATE templates SET meta_id = ?, status = CASE WHEN status IN ('DRAFT','REJECTED') THEN ? ELSE status END,
		reason = '', updated_at = now() WHERE id = ?`, res.ID, status, id).Error
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
		res := st.DB.WithContext(ctx).Exec(`UPDATE templates SET status = ?, reason = ?, meta_id = COALESCE(meta_id, NULLIF(?, '')), updated_at = now()
			WHERE (meta_id = ? OR (name = ? AND language = ? AND meta_id IS NULL)) AND (status <> ? OR reason <> ?)`,
			status, in.RejectedReason, in.ID, in.ID, in.Name, in.Language, status, in.RejectedReason)
		if res.Error != nil {
			return changed, fmt.Errorf("reconcile template %s/%s: %w", in.Name, in.Language, res.Error)
		}
		changed += int(res.RowsAffected)
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
