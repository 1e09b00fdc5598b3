package templates

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/waba"
)

// NormalizeParam makes a value acceptable as a template text parameter.
// Meta refuses a parameter holding a new line, a tab or more than 4
// consecutive spaces (error 132018), which names from imports often do
// ("Budi\tSantoso", "Sri     Rahayu"). Every run of whitespace that holds
// a line break or tab, or is longer than 4 spaces, becomes one space; the
// ends are trimmed. This is the one place both campaigns and agents' sends
// go through (RenderTemplate), so what the preview shows is what is sent.
func NormalizeParam(v string) string {
	var b strings.Builder
	rs := []rune(v)
	for i := 0; i < len(rs); {
		if !unicode.IsSpace(rs[i]) {
			b.WriteRune(rs[i])
			i++
			continue
		}
		j, plain := i, true
		for j < len(rs) && unicode.IsSpace(rs[j]) {
			plain = plain && rs[j] == ' '
			j++
		}
		if plain && j-i <= 4 {
			b.WriteString(string(rs[i:j]))
		} else {
			b.WriteByte(' ')
		}
		i = j
	}
	return strings.TrimSpace(b.String())
}

// RenderedComponent is one component's filled parameters, in order.
type RenderedComponent struct {
	Type    string   // header, body, button
	SubType string   // buttons: url or copy_code
	Index   int      // button index
	Media   string   // media headers: IMAGE, VIDEO or DOCUMENT (Values[0] is the link or media id)
	Names   []string // variable names ("1", "2" or named)
	Values  []string
}

// RenderedTemplate is a template ready to send plus its preview text.
type RenderedTemplate struct {
	Name, Language, Format string
	Preview                string
	Components             []RenderedComponent
	// Adjusted lists the variable keys whose values NormalizeParam changed
	// (shown beside the preview so nobody is surprised by the sent text).
	Adjusted []string
}

// Keys of the values a template needs besides its {{variables}}: the
// media of an IMAGE/VIDEO/DOCUMENT header (an https link or an uploaded
// media id) and the code of a COPY_CODE button.
const (
	HeaderMediaKey = "header.media"
)

// CouponKey is the value key of the COPY_CODE button at index i.
func CouponKey(i int) string { return "button." + strconv.Itoa(i) + ".code" }

// RenderTemplate fills every variable: the key of a variable is
// "header.<var>", "body.<var>" or "button.<index>.<var>" (plus
// HeaderMediaKey and CouponKey); mapping turns a key into a field name of
// values (contact/case fields such as "contact.name"); without a mapping
// the key itself is looked up. Text values are normalised for Meta
// (NormalizeParam). Missing values are all reported at once, before any send.
func RenderTemplate(t Template, mapping, values map[string]string) (RenderedTemplate, error) {
	cs, err := t.ParsedComponents()
	if err != nil {
		return RenderedTemplate{}, err
	}
	out := RenderedTemplate{Name: t.Name, Language: t.Language, Format: t.ParameterFormat}
	var missing []string
	var preview []string
	lookup := func(key string, normalize bool) string {
		src := key
		if m, ok := mapping[key]; ok && m != "" {
			src = m
		}
		raw := values[src]
		v := strings.TrimSpace(raw)
		if normalize {
			v = NormalizeParam(raw)
			if v != strings.TrimSpace(raw) {
				out.Adjusted = append(out.Adjusted, key)
			}
		}
		if v == "" {
			missing = append(missing, key)
		}
		return v
	}
	fill := func(prefix, text string) ([]string, []string, string) {
		names := unique(templateVars(text))
		vals := make([]string, len(names))
		for i, n := range names {
			vals[i] = lookup(prefix+"."+n, true)
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
		case "HEADER":
			if f := strings.ToUpper(c.Format); f == "IMAGE" || f == "VIDEO" || f == "DOCUMENT" {
				media := lookup(HeaderMediaKey, false)
				out.Components = append(out.Components, RenderedComponent{Type: "header", Media: f, Values: []string{media}})
				preview = append(preview, "["+strings.ToLower(f)+"]")
				continue
			}
			fallthrough
		case "BODY":
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
				switch strings.ToUpper(b.Type) {
				case "URL":
					names, vals, _ := fill("button."+strconv.Itoa(i), b.URL)
					if len(names) > 0 {
						out.Components = append(out.Components, RenderedComponent{Type: "button", SubType: "url", Index: i, Names: names, Values: vals})
					}
				case "COPY_CODE":
					code := lookup(CouponKey(i), true)
					out.Components = append(out.Components, RenderedComponent{Type: "button", SubType: "copy_code", Index: i, Names: []string{"code"}, Values: []string{code}})
				}
			}
		}
	}
	if len(missing) > 0 {
		return out, models.FieldError(models.EUnprocessable, "variables", "missing values for %s", strings.Join(missing, ", ")).
			WithDetails(map[string]any{"missing": missing})
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
			wc.SubType, wc.Index = c.SubType, strconv.Itoa(c.Index)
		}
		switch {
		case c.Media != "":
			m := &waba.HeaderMedia{}
			if v := c.Values[0]; strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://") {
				m.Link = v
			} else {
				m.ID = v
			}
			p := waba.TemplateParameter{Type: strings.ToLower(c.Media)}
			switch c.Media {
			case "IMAGE":
				p.Image = m
			case "VIDEO":
				p.Video = m
			case "DOCUMENT":
				p.Document = m
			}
			wc.Parameters = append(wc.Parameters, p)
		case c.SubType == "copy_code":
			wc.Parameters = append(wc.Parameters, waba.TemplateParameter{Type: "coupon_code", CouponCode: c.Values[0]})
		default:
			for i, v := range c.Values {
				p := waba.TemplateParameter{Type: "text", Text: v}
				if r.Format == "NAMED" && c.Type != "button" {
					p.ParameterName = c.Names[i]
				}
				wc.Parameters = append(wc.Parameters, p)
			}
		}
		t.Components = append(t.Components, wc)
	}
	return t
}
