package campaigns

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/templates"
	"gorm.io/gorm"
)

// campaignValues maps the campaign's variables onto a contact: keys whose
// source is a contact or case field ("contact.name", "contact.<attribute>",
// "case.reference", "case.amount", "case.<custom field>") read it, with an
// optional default after a bar ("contact.name|Bapak/Ibu") for an empty
// field; other sources are literals. extra holds the contact's case values.
func campaignValues(vars map[string]string, c models.Contact, extra ...map[string]string) (mapping, values map[string]string) {
	values = map[string]string{"contact.name": c.Name}
	if c.PhoneE164 != nil {
		values["contact.phone"] = *c.PhoneE164
	}
	var attrs map[string]any
	if len(c.Attributes) > 0 && json.Unmarshal(c.Attributes, &attrs) == nil {
		for k, a := range attrs {
			values["contact."+k] = fmt.Sprint(a)
		}
	}
	for _, e := range extra {
		for k, v := range e {
			values[k] = v
		}
	}
	mapping = map[string]string{}
	for k, src := range vars {
		field, def, hasDefault := strings.Cut(src, "|")
		if !strings.HasPrefix(field, "contact.") && !strings.HasPrefix(field, "case.") {
			values[k] = src
			continue
		}
		if hasDefault {
			if v := strings.TrimSpace(values[field]); v == "" {
				values[src] = def
			} else {
				values[src] = values[field]
			}
		}
		mapping[k] = src
	}
	return mapping, values
}

// ContactTemplateValues maps vars onto one contact like a claim does
// (contact and case fields, defaults after a bar, literals), for the
// journeys' sends: one rule of what a variable reads.
func ContactTemplateValues(ctx context.Context, db *gorm.DB, vars map[string]string, c models.Contact) (mapping, values map[string]string, err error) {
	cs, err := openCaseValues(ctx, db, vars, []int64{c.ID})
	if err != nil {
		return nil, nil, err
	}
	mapping, values = campaignValues(vars, c, cs[c.ID])
	return mapping, values, nil
}

// RenderedVariables are a rendered template's values keyed the way an
// inbox send takes them ("body.1", "button.0.1").
func RenderedVariables(r templates.RenderedTemplate) map[string]string {
	out := map[string]string{}
	for _, rc := range r.Components {
		for i, n := range rc.Names {
			key := rc.Type + "." + n
			if rc.Type == "button" {
				key = "button." + strconv.Itoa(rc.Index) + "." + n
			}
			out[key] = rc.Values[i]
		}
	}
	return out
}

// openCaseValues loads the "case.*" values of each contact's newest case
// that has not exited (collections templates name the debt), only when a
// variable of vars reads a case field: a claim pays nothing otherwise.
func openCaseValues(ctx context.Context, db *gorm.DB, vars map[string]string, contactIDs []int64) (map[int64]map[string]string, error) {
	out := map[int64]map[string]string{}
	readsCase := false
	for _, src := range vars {
		readsCase = readsCase || strings.HasPrefix(src, "case.")
	}
	if !readsCase || len(contactIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ContactID    int64
		Reference    string
		Amount       int64
		Outstanding  int64
		DueDate      *time.Time
		Product      string
		CustomFields json.RawMessage
	}
	if err := db.WithContext(ctx).Raw(`SELECT DISTINCT ON (contact_id) contact_id, reference, amount, outstanding, due_date, product, custom_fields
		FROM cases WHERE contact_id IN ? AND status <> 'exited' ORDER BY contact_id, created_at DESC, id DESC`, contactIDs).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("cases of %d contacts: %w", len(contactIDs), err)
	}
	for _, r := range rows {
		v := map[string]string{"case.reference": r.Reference, "case.amount": strconv.FormatInt(r.Amount, 10),
			"case.outstanding": strconv.FormatInt(r.Outstanding, 10), "case.product": r.Product}
		if r.DueDate != nil {
			v["case.due_date"] = r.DueDate.Format("02-01-2006")
		}
		var custom map[string]any
		if json.Unmarshal(r.CustomFields, &custom) == nil {
			for k, c := range custom {
				if _, taken := v["case."+k]; !taken {
					v["case."+k] = fmt.Sprint(c)
				}
			}
		}
		out[r.ContactID] = v
	}
	return out, nil
}
