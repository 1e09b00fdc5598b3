package sim

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// checkTemplateLocked finds the template and checks a send's components
// against it, as Meta does:
//   - 132001 no such name+language, or not APPROVED; 132015 PAUSED; 132016 DISABLED;
//   - 132000 a component's parameter count differs from the template's
//     variables (a media header always takes exactly one parameter; a
//     dynamic URL button one text; a COPY_CODE button one coupon_code);
//   - 132012 a parameter of the wrong kind (image for a DOCUMENT header,
//     sub_type url for a quick reply button ...);
//   - 132018 a text parameter with new lines, tabs or more than 4 spaces in a row;
//   - 132005 the filled body over 1024 characters;
//   - named templates: every body/header parameter names its variable.
//
// https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-messages (send)
// https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
func (s *Sim) checkTemplateLocked(n *Number, send *sendTemplate) (*template, *apiErr) {
	var t *template
	for _, c := range s.templates {
		if c.WABAID == n.WABAID && c.Name == send.Name && c.Language == send.Language.Code {
			t = c
			break
		}
	}
	missing := &apiErr{404, codeTemplateMissing, 0, "Template name does not exist in the translation",
		fmt.Sprintf("template name (%s) does not exist in %s", send.Name, send.Language.Code)}
	if t == nil {
		return nil, missing
	}
	switch t.Status {
	case "APPROVED":
	case "PAUSED":
		return nil, &apiErr{400, codeTemplatePaused, 0, "Template is paused", "template " + t.Name + " is paused because of low quality"}
	case "DISABLED":
		return nil, &apiErr{400, codeTemplateDisabled, 0, "Template has been disabled", "template " + t.Name + " is disabled"}
	default:
		missing.details = "template " + t.Name + " is " + t.Status + ", not approved"
		return nil, missing
	}
	byKey := map[string]*sendComponent{}
	for i := range send.Components {
		c := &send.Components[i]
		key := c.Type
		switch c.Type {
		case "header", "body":
			if c.SubType != "" || len(c.Index) > 0 {
				return nil, unexpected(firstSet(map[string]bool{"sub_type": c.SubType != "", "index": len(c.Index) > 0}), "template['components']["+strconv.Itoa(i)+"]")
			}
		case "button":
			idx, err := strconv.Unquote(string(c.Index))
			if err != nil {
				idx = string(c.Index)
			}
			if _, err := strconv.Atoi(idx); err != nil {
				return nil, required("template.components[" + strconv.Itoa(i) + "].index is required for a button (\"0\"..\"9\")")
			}
			key += ":" + idx
		default:
			return nil, invalidValue("template.components[" + strconv.Itoa(i) + "].type must be header, body or button")
		}
		if byKey[key] != nil {
			return nil, invalidValue("template component " + key + " given twice")
		}
		byKey[key] = c
	}
	mismatch := func(what string, want, got int) *apiErr {
		return &apiErr{400, codeParamCount, 0, "Number of parameters does not match the expected number of params",
			fmt.Sprintf("%s: number of localizable_params (%d) does not match the expected number of params (%d)", what, got, want)}
	}
	format := func(d string) *apiErr {
		return &apiErr{400, codeParamFormat, 0, "Parameter format does not match format in the created template", d}
	}
	params := func(key string) []sendParameter {
		if c := byKey[key]; c != nil {
			return c.Parameters
		}
		return nil
	}
	textParam := func(what string, p sendParameter, vars []string) *apiErr {
		if p.Type != "text" || p.Text == nil {
			return format(what + " must be a text parameter")
		}
		if p.Currency != nil || p.DateTime != nil || p.Image != nil || p.Video != nil || p.Document != nil || p.Payload != nil || p.CouponCode != nil || p.Location != nil {
			return unexpected(firstSet(map[string]bool{"currency": p.Currency != nil, "date_time": p.DateTime != nil, "image": p.Image != nil,
				"video": p.Video != nil, "document": p.Document != nil, "payload": p.Payload != nil, "coupon_code": p.CouponCode != nil, "location": p.Location != nil}), what)
		}
		if strings.TrimSpace(*p.Text) == "" {
			return required(what + ": text is empty")
		}
		if bad := badParamChars(*p.Text); bad != "" {
			return &apiErr{400, codeParamCharacters, 0, "Param text cannot have new-line/tab characters or more than 4 consecutive spaces", what + " has " + bad}
		}
		return namedCheck(t, what, p, vars)
	}
	used := map[string]bool{}
	for _, c := range t.def {
		switch c.Type {
		case "HEADER":
			used["header"] = true
			got := params("header")
			switch c.Format {
			case "TEXT":
				vars := placeholders(text(c.Text))
				if len(got) != len(vars) {
					return nil, mismatch("header", len(vars), len(got))
				}
				for i, p := range got {
					if e := textParam("header parameter "+strconv.Itoa(i+1), p, vars); e != nil {
						return nil, e
					}
				}
			case "IMAGE", "VIDEO", "DOCUMENT":
				if len(got) != 1 {
					return nil, mismatch("header ("+c.Format+")", 1, len(got))
				}
				if e := s.headerMediaLocked(c.Format, got[0]); e != nil {
					return nil, e
				}
			case "LOCATION":
				if len(got) != 1 || got[0].Type != "location" || got[0].Location == nil {
					return nil, mismatch("header (LOCATION)", 1, len(got))
				}
			}
		case "BODY":
			used["body"] = true
			vars := placeholders(text(c.Text))
			got := params("body")
			if len(got) != len(vars) {
				return nil, mismatch("body", len(vars), len(got))
			}
			filled := text(c.Text)
			for i, p := range got {
				what := "body parameter " + strconv.Itoa(i+1)
				value := ""
				switch p.Type {
				case "text":
					if e := textParam(what, p, vars); e != nil {
						return nil, e
					}
					value = *p.Text
				case "currency":
					if p.Currency == nil || p.Currency.FallbackValue == "" || len(p.Currency.Code) != 3 {
						return nil, required(what + ": currency needs fallback_value, code (ISO 4217) and amount_1000")
					}
					value = p.Currency.FallbackValue
				case "date_time":
					if p.DateTime == nil || p.DateTime.FallbackValue == "" {
						return nil, required(what + ": date_time needs fallback_value")
					}
					value = p.DateTime.FallbackValue
				default:
					return nil, format(what + " must be text, currency or date_time")
				}
				if p.Type != "text" {
					if e := namedCheck(t, what, p, vars); e != nil {
						return nil, e
					}
				}
				name := vars[i]
				if t.ParameterFormat == "NAMED" {
					name = p.ParameterName
				}
				filled = strings.ReplaceAll(filled, "{{"+name+"}}", value)
			}
			if utf8.RuneCountInString(filled) > 1024 {
				return nil, &apiErr{400, codeTextTooLong, 0, "Translated text too long", "the filled body is longer than 1024 characters"}
			}
		case "BUTTONS":
			for i, b := range c.Buttons {
				key := "button:" + strconv.Itoa(i)
				used[key] = true
				comp := byKey[key]
				what := "button " + strconv.Itoa(i)
				switch b.Type {
				case "URL":
					want := len(placeholders(b.URL))
					if want == 0 {
						if comp != nil {
							return nil, mismatch(what+" (static URL)", 0, len(comp.Parameters))
						}
						continue
					}
					if comp == nil || len(comp.Parameters) != 1 {
						return nil, mismatch(what+" (dynamic URL)", 1, len(params(key)))
					}
					if comp.SubType != "url" {
						return nil, format(what + " is a URL button: sub_type must be url")
					}
					if e := textParam(what+" parameter", comp.Parameters[0], nil); e != nil {
						return nil, e
					}
				case "COPY_CODE":
					if comp == nil || len(comp.Parameters) != 1 {
						return nil, mismatch(what+" (copy_code)", 1, len(params(key)))
					}
					p := comp.Parameters[0]
					if comp.SubType != "copy_code" || p.Type != "coupon_code" || p.CouponCode == nil || p.Text != nil {
						return nil, format(what + " is a COPY_CODE button: sub_type copy_code with one {\"type\":\"coupon_code\",\"coupon_code\":...}")
					}
					if *p.CouponCode == "" || utf8.RuneCountInString(*p.CouponCode) > 15 {
						return nil, invalidValue(what + ": coupon_code must be 1 to 15 characters")
					}
				case "QUICK_REPLY":
					if comp == nil {
						continue
					}
					if comp.SubType != "quick_reply" {
						return nil, format(what + " is a quick reply button: sub_type must be quick_reply")
					}
					if len(comp.Parameters) != 1 || comp.Parameters[0].Type != "payload" || comp.Parameters[0].Payload == nil {
						return nil, mismatch(what+" (quick_reply payload)", 1, len(comp.Parameters))
					}
				default: // PHONE_NUMBER and others take no parameters
					if comp != nil {
						return nil, mismatch(what+" ("+b.Type+")", 0, len(comp.Parameters))
					}
				}
			}
		}
	}
	for key := range byKey {
		if !used[key] {
			return nil, mismatch(key+" (not in the template)", 0, len(byKey[key].Parameters))
		}
	}
	return t, nil
}

// namedCheck: templates created with parameter_format NAMED need every
// header/body parameter to carry parameter_name of one of its variables;
// positional ones must not name them.
func namedCheck(t *template, what string, p sendParameter, vars []string) *apiErr {
	if vars == nil { // buttons: never named
		if p.ParameterName != "" {
			return unexpected("parameter_name", what)
		}
		return nil
	}
	if t.ParameterFormat != "NAMED" {
		if p.ParameterName != "" {
			return invalidValue(what + ": parameter_name given for a positional template")
		}
		return nil
	}
	for _, v := range vars {
		if v == p.ParameterName {
			return nil
		}
	}
	if p.ParameterName == "" {
		return badParam("Parameter name is missing or empty (" + what + " of a NAMED template)")
	}
	return &apiErr{400, codeParamCount, 0, "Number of parameters does not match the expected number of params",
		what + ": parameter_name " + strconv.Quote(p.ParameterName) + " is not a variable of the template"}
}

// headerMediaLocked checks a media header parameter: its type matches the
// header format and it has an uploaded id or an http(s) link.
func (s *Sim) headerMediaLocked(fmtName string, p sendParameter) *apiErr {
	want := strings.ToLower(fmtName)
	if p.Type != want {
		return &apiErr{400, codeParamFormat, 0, "Parameter format does not match format in the created template", "header parameter must be " + want}
	}
	var id, link string
	switch {
	case want == "image" && p.Image != nil:
		id, link = p.Image.ID, p.Image.Link
	case want == "video" && p.Video != nil:
		id, link = p.Video.ID, p.Video.Link
	case want == "document" && p.Document != nil:
		id, link = p.Document.ID, p.Document.Link
	default:
		return required("header parameter needs a " + want + " object")
	}
	if p.Text != nil {
		return unexpected("text", "header parameter")
	}
	return checkMedia("header "+want, id, link, s.media)
}
