package campaigns

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/contacts"
	"github.com/wabascrm/scrm/models/templates"
)

// PreviewInput asks for a template rendered for a real contact. Variables
// map a variable key to a contact field or a literal, like a campaign's;
// with CampaignID the campaign's mapping is used (Variables override it).
type PreviewInput struct {
	ContactID  int64             `json:"contactId"`
	CampaignID int64             `json:"campaignId"`
	Variables  map[string]string `json:"variables"`
}

// ComponentPreview is one rendered component and its length against
// WhatsApp's limit.
type ComponentPreview struct {
	Type      string `json:"type"` // header, body, footer, button
	Index     *int   `json:"index,omitempty"`
	Format    string `json:"format,omitempty"` // header: TEXT, IMAGE...
	Text      string `json:"text"`
	Chars     int    `json:"chars"`
	Limit     int    `json:"limit"` // 0: none (media header)
	OverLimit bool   `json:"overLimit"`
	URL       string `json:"url,omitempty"` // URL button, rendered
	URLChars  int    `json:"urlChars,omitempty"`
}

// TemplatePreview is what a campaign manager sees while designing.
type TemplatePreview struct {
	TemplateID int64              `json:"templateId"`
	Name       string             `json:"name"`
	Language   string             `json:"language"`
	Status     string             `json:"status"`
	ContactID  int64              `json:"contactId,omitempty"`
	Text       string             `json:"text"` // whole message; unfilled variables stay {{n}}
	Components []ComponentPreview `json:"components"`
	Values     map[string]string  `json:"values"`  // variable key -> value used
	Missing    []string           `json:"missing"` // variable keys without a value
	Problems   []string           `json:"problems"`
	// Adjusted: variable keys whose values hold new lines, tabs or long
	// runs of spaces (Meta refuses them, 132018); they are sent as shown,
	// with those turned into single spaces (templates.NormalizeParam).
	Adjusted []string `json:"adjusted"`
	// Sendable: approved, every variable filled, nothing over a limit.
	Sendable bool `json:"sendable"`
}

// resolveVar is RenderTemplate's lookup of one variable key, normalised
// as the send will be; adjusted reports a value normalisation changed.
func resolveVar(key string, mapping, values map[string]string) (v string, adjusted bool) {
	src := key
	if m, ok := mapping[key]; ok && m != "" {
		src = m
	}
	v = templates.NormalizeParam(values[src])
	return v, v != strings.TrimSpace(values[src])
}

// fillText substitutes the variables of text (keys prefix.<var>), leaving
// unfilled ones as they are, and records values, adjusted and missing keys.
func fillText(prefix, text string, mapping, values map[string]string, used map[string]string, missing, adjustedKeys *[]string) string {
	return templates.VarPattern.ReplaceAllStringFunc(text, func(m string) string {
		key := prefix + "." + templates.VarPattern.FindStringSubmatch(m)[1]
		v, adjusted := resolveVar(key, mapping, values)
		if adjusted && !slices.Contains(*adjustedKeys, key) {
			*adjustedKeys = append(*adjustedKeys, key)
		}
		if v == "" {
			if !slices.Contains(*missing, key) {
				*missing = append(*missing, key)
			}
			return m
		}
		used[key] = v
		return v
	})
}

// PreviewTemplate renders template id for a contact p may see, counts each
// component against WhatsApp's limits and lists unfilled variables.
func (s CampaignStore) PreviewTemplate(ctx context.Context, p models.Principal, id int64, in PreviewInput) (TemplatePreview, error) {
	t, err := templates.TemplateStore{DB: s.DB}.Get(ctx, id)
	if err != nil {
		return TemplatePreview{}, err
	}
	vars := map[string]string{}
	if in.CampaignID != 0 {
		c, err := s.campaign(ctx, in.CampaignID)
		if err != nil {
			var me *models.Error
			if errors.As(err, &me) && me.Code == models.ENotFound {
				return TemplatePreview{}, models.FieldError(models.EUnprocessable, "campaignId", "campaign %d not found", in.CampaignID)
			}
			return TemplatePreview{}, err
		}
		if c.TemplateID != id {
			return TemplatePreview{}, models.FieldError(models.EUnprocessable, "campaignId", "campaign %d uses template %d, not %d", c.ID, c.TemplateID, id)
		}
		for k, v := range c.Variables {
			vars[k] = v
		}
	}
	for k, v := range in.Variables {
		vars[k] = v
	}
	var ct models.Contact
	if in.ContactID != 0 {
		rec, err := contacts.ContactStore{DB: s.DB}.Get(ctx, p, in.ContactID)
		if err != nil {
			var me *models.Error
			if errors.As(err, &me) && me.Code == models.ENotFound {
				return TemplatePreview{}, models.FieldError(models.EUnprocessable, "contactId", "contact %d not found", in.ContactID)
			}
			return TemplatePreview{}, err
		}
		ct = models.Contact{ID: rec.ID, PhoneE164: rec.PhoneE164, WAID: rec.WAID, Name: rec.Name, Attributes: rec.Attributes, OptedOut: rec.OptedOut}
	}
	cases, err := openCaseValues(ctx, s.DB, vars, []int64{ct.ID})
	if err != nil {
		return TemplatePreview{}, err
	}
	mapping, values := campaignValues(vars, ct, cases[ct.ID])
	if ct.ID == 0 {
		// No contact: only literals can fill variables.
		for k := range values {
			// A field's default ("contact.name|Bapak/Ibu") still applies.
			if (strings.HasPrefix(k, "contact.") || strings.HasPrefix(k, "case.")) && !strings.Contains(k, "|") {
				delete(values, k)
			}
		}
	}
	return previewTemplate(t, ct, mapping, values)
}

// needValue records the value of a non-text key (header media, coupon
// code) or lists it as missing.
func needValue(key string, mapping, values map[string]string, pv *TemplatePreview) {
	if v, _ := resolveVar(key, mapping, values); v != "" {
		pv.Values[key] = v
	} else if !slices.Contains(pv.Missing, key) {
		pv.Missing = append(pv.Missing, key)
	}
}

func previewTemplate(t templates.Template, ct models.Contact, mapping, values map[string]string) (TemplatePreview, error) {
	cs, err := t.ParsedComponents()
	if err != nil {
		return TemplatePreview{}, err
	}
	pv := TemplatePreview{TemplateID: t.ID, Name: t.Name, Language: t.Language, Status: t.Status, ContactID: ct.ID,
		Components: []ComponentPreview{}, Values: map[string]string{}, Missing: []string{}, Problems: []string{}, Adjusted: []string{}}
	if t.Status != templates.TplApproved {
		pv.Problems = append(pv.Problems, fmt.Sprintf("template is %s; only APPROVED templates can be sent", t.Status))
	}
	if ct.OptedOut {
		pv.Problems = append(pv.Problems, "the contact has opted out: a campaign skips it")
	}
	var texts []string
	add := func(cp ComponentPreview) {
		cp.Chars = utf8.RuneCountInString(cp.Text)
		over := cp.Limit > 0 && cp.Chars > cp.Limit // a media header has no text limit
		cp.OverLimit = over || cp.URLChars > LimitButtonURL
		if over {
			pv.Problems = append(pv.Problems, fmt.Sprintf("%s is %d characters; WhatsApp allows %d", cp.Type, cp.Chars, cp.Limit))
		}
		if cp.URLChars > LimitButtonURL {
			pv.Problems = append(pv.Problems, fmt.Sprintf("button %d URL is %d characters; WhatsApp allows %d", *cp.Index, cp.URLChars, LimitButtonURL))
		}
		pv.Components = append(pv.Components, cp)
	}
	for _, c := range cs {
		switch strings.ToUpper(c.Type) {
		case "HEADER":
			f := strings.ToUpper(c.Format)
			if f == "" {
				f = "TEXT"
			}
			if f != "TEXT" {
				if f != "LOCATION" {
					needValue(templates.HeaderMediaKey, mapping, values, &pv)
				}
				add(ComponentPreview{Type: "header", Format: f, Text: "[" + strings.ToLower(f) + "]"})
				continue
			}
			txt := fillText("header", c.Text, mapping, values, pv.Values, &pv.Missing, &pv.Adjusted)
			texts = append(texts, txt)
			add(ComponentPreview{Type: "header", Format: f, Text: txt, Limit: LimitHeaderText})
		case "BODY":
			txt := fillText("body", c.Text, mapping, values, pv.Values, &pv.Missing, &pv.Adjusted)
			texts = append(texts, txt)
			add(ComponentPreview{Type: "body", Text: txt, Limit: LimitBody})
		case "FOOTER":
			texts = append(texts, c.Text)
			add(ComponentPreview{Type: "footer", Text: c.Text, Limit: LimitFooter})
		case "BUTTONS":
			for i, b := range c.Buttons {
				cp := ComponentPreview{Type: "button", Index: &i, Format: b.Type, Text: b.Text, Limit: LimitButtonText}
				if strings.EqualFold(b.Type, "COPY_CODE") {
					needValue(templates.CouponKey(i), mapping, values, &pv)
				}
				if b.URL != "" {
					cp.URL = fillText("button."+strconv.Itoa(i), b.URL, mapping, values, pv.Values, &pv.Missing, &pv.Adjusted)
					cp.URLChars = utf8.RuneCountInString(cp.URL)
				}
				add(cp)
			}
		}
	}
	pv.Text = strings.Join(texts, "\n")
	if len(pv.Missing) > 0 {
		pv.Problems = append(pv.Problems, "missing values for "+strings.Join(pv.Missing, ", "))
	} else if _, err := templates.RenderTemplate(t, mapping, values); err != nil {
		// The send path's own renderer must agree that it is complete.
		return pv, fmt.Errorf("render template %d: %w", t.ID, err)
	}
	pv.Sendable = len(pv.Problems) == 0
	return pv, nil
}

// ---- Duplicate ----
