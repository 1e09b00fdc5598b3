package templates

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wabascrm/scrm/models"
)

// ValidateTemplate applies Meta's creation rules so a template is refused
// here, with the field to fix, rather than by Graph or review. The rules
// and their pages are listed in docs/whatsapp.md; waba/sim enforces the
// same ones on the Graph side:
//   - name lowercase letters, digits and underscores (<= 512); category
//     MARKETING, UTILITY or AUTHENTICATION; parameter_format POSITIONAL or NAMED;
//   - exactly one BODY (<= 1024 characters, variables {{1}}..{{n}} in order
//     or lowercase names, each with an example, none at the start or end);
//   - HEADER with a format: TEXT (<= 60 characters, at most 1 variable with
//     its example), IMAGE/VIDEO/DOCUMENT (example.header_handle from the
//     Resumable Upload API) or LOCATION;
//   - FOOTER <= 60 characters, no variables;
//   - BUTTONS: 1-10, quick replies grouped, at most 2 URL, 1 PHONE_NUMBER,
//     1 COPY_CODE (example code <= 15); a URL has at most one variable
//     {{1}}, at its end, with an example URL; texts <= 25;
//   - AUTHENTICATION: body without text of ours, optional footer with
//     code_expiration_minutes 1-90, exactly one OTP button, no header.
func ValidateTemplate(t *Template) error {
	if !templateNameRE.MatchString(t.Name) {
		return models.FieldError(models.EInvalid, "name", "use lowercase letters, digits and underscores only")
	}
	if !languageRE.MatchString(t.Language) {
		return models.FieldError(models.EInvalid, "language", "must be a language code like id or en_US")
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
	switch t.Category {
	case "MARKETING", "UTILITY":
	case "AUTHENTICATION":
		return validateAuthentication(t, t.Components)
	default:
		return models.FieldError(models.EInvalid, "category", "must be MARKETING, UTILITY or AUTHENTICATION")
	}
	seen := map[string]bool{}
	for i, c := range cs {
		field := fmt.Sprintf("components[%d]", i)
		c.Type = strings.ToUpper(c.Type)
		if seen[c.Type] {
			if c.Type == "BODY" {
				return models.FieldError(models.EInvalid, "components", "exactly one BODY component is required")
			}
			return models.FieldError(models.EInvalid, field+".type", "at most one %s component", c.Type)
		}
		seen[c.Type] = true
		var err error
		switch c.Type {
		case "BODY":
			err = checkBody(field, c, t.ParameterFormat)
		case "HEADER":
			err = checkHeader(field, c, t.ParameterFormat)
		case "FOOTER":
			if c.Text == "" || utf8.RuneCountInString(c.Text) > 60 {
				err = models.FieldError(models.EInvalid, field+".text", "footer text is required, at most 60 characters")
			} else if len(templateVars(c.Text)) > 0 {
				err = models.FieldError(models.EInvalid, field+".text", "footer cannot have variables")
			}
		case "BUTTONS":
			err = checkButtons(field, c.Buttons)
		default:
			err = models.FieldError(models.EInvalid, field+".type", "must be HEADER, BODY, FOOTER or BUTTONS")
		}
		if err != nil {
			return err
		}
	}
	if !seen["BODY"] {
		return models.FieldError(models.EInvalid, "components", "exactly one BODY component is required")
	}
	return nil
}

func checkBody(field string, c TemplateComponent, format string) error {
	if strings.TrimSpace(c.Text) == "" {
		return models.FieldError(models.EInvalid, field+".text", "body text is required")
	}
	if n := utf8.RuneCountInString(c.Text); n > 1024 {
		return models.FieldError(models.EInvalid, field+".text", "body is %d characters; the limit is 1024", n)
	}
	vars := templateVars(c.Text)
	if err := checkVars(field+".text", vars, format); err != nil {
		return err
	}
	if len(vars) == 0 {
		return nil
	}
	trimmed := strings.TrimSpace(c.Text)
	locs := VarPattern.FindAllStringIndex(trimmed, -1)
	if locs[0][0] == 0 || locs[len(locs)-1][1] == len(trimmed) {
		return models.FieldError(models.EInvalid, field+".text", "WhatsApp refuses a variable at the very start or end of the body: add words before or after it")
	}
	return checkExamples(field+".example", c, len(unique(vars)), format)
}

func checkHeader(field string, c TemplateComponent, format string) error {
	switch strings.ToUpper(c.Format) {
	case "TEXT":
		if c.Text == "" || utf8.RuneCountInString(c.Text) > 60 {
			return models.FieldError(models.EInvalid, field+".text", "header text is required, at most 60 characters")
		}
		vars := unique(templateVars(c.Text))
		if len(vars) > 1 {
			return models.FieldError(models.EInvalid, field+".text", "a text header takes at most 1 variable")
		}
		if err := checkVars(field+".text", vars, format); err != nil {
			return err
		}
		if len(vars) == 1 {
			return checkExamples(field+".example", c, 1, format)
		}
	case "IMAGE", "VIDEO", "DOCUMENT":
		if c.Text != "" {
			return models.FieldError(models.EInvalid, field+".text", "a media header has no text")
		}
		var ex struct {
			HeaderHandle []string `json:"header_handle"`
		}
		if len(c.Example) == 0 || json.Unmarshal(c.Example, &ex) != nil || len(ex.HeaderHandle) != 1 || ex.HeaderHandle[0] == "" {
			return models.FieldError(models.EInvalid, field+".example", "a %s header needs a sample file: upload one to get its header_handle", strings.ToUpper(c.Format))
		}
	case "LOCATION":
	case "":
		return models.FieldError(models.EInvalid, field+".format", "is required: TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION")
	default:
		return models.FieldError(models.EInvalid, field+".format", "must be TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION")
	}
	return nil
}

func checkButtons(field string, bs []TemplateButton) error {
	if len(bs) == 0 || len(bs) > 10 {
		return models.FieldError(models.EInvalid, field+".buttons", "1 to 10 buttons")
	}
	count := map[string]int{}
	groups, prevQR := 0, false
	for j, b := range bs {
		bf := fmt.Sprintf("%s.buttons[%d]", field, j)
		typ := strings.ToUpper(b.Type)
		count[typ]++
		if typ == "QUICK_REPLY" && !prevQR {
			groups++
		}
		prevQR = typ == "QUICK_REPLY"
		if typ != "COPY_CODE" && (b.Text == "" || utf8.RuneCountInString(b.Text) > 25) {
			return models.FieldError(models.EInvalid, bf+".text", "button text is required, at most 25 characters")
		}
		switch typ {
		case "QUICK_REPLY":
		case "URL":
			if b.URL == "" || len(b.URL) > 2000 {
				return models.FieldError(models.EInvalid, bf+".url", "is required, at most 2000 characters")
			}
			vars := templateVars(b.URL)
			if len(vars) > 1 || (len(vars) == 1 && (vars[0] != "1" || !strings.HasSuffix(strings.TrimSpace(b.URL), "}}"))) {
				return models.FieldError(models.EInvalid, bf+".url", "a URL button has at most one variable {{1}}, at the end of the URL")
			}
			var ex []string
			if len(vars) == 1 && (json.Unmarshal(b.Example, &ex) != nil || len(ex) != 1) {
				return models.FieldError(models.EInvalid, bf+".example", "an example URL is required for the variable")
			}
		case "PHONE_NUMBER":
			if b.PhoneNumber == "" || len(b.PhoneNumber) > 20 {
				return models.FieldError(models.EInvalid, bf+".phone_number", "is required, at most 20 characters")
			}
		case "COPY_CODE":
			var ex string
			if json.Unmarshal(b.Example, &ex) != nil || ex == "" || utf8.RuneCountInString(ex) > 15 {
				return models.FieldError(models.EInvalid, bf+".example", "a copy-code button needs an example code of at most 15 characters")
			}
		default:
			return models.FieldError(models.EInvalid, bf+".type", "must be QUICK_REPLY, URL, PHONE_NUMBER or COPY_CODE")
		}
	}
	switch {
	case groups > 1:
		return models.FieldError(models.EInvalid, field+".buttons", "quick reply buttons must be next to each other")
	case count["URL"] > 2:
		return models.FieldError(models.EInvalid, field+".buttons", "at most 2 URL buttons")
	case count["PHONE_NUMBER"] > 1:
		return models.FieldError(models.EInvalid, field+".buttons", "at most 1 phone number button")
	case count["COPY_CODE"] > 1:
		return models.FieldError(models.EInvalid, field+".buttons", "at most 1 copy-code button")
	}
	return nil
}

// validateAuthentication: Meta writes the body of an authentication
// template itself ("<code> is your verification code"), so ours has no
// text; one OTP button (COPY_CODE, ONE_TAP or ZERO_TAP); no header.
func validateAuthentication(t *Template, raw json.RawMessage) error {
	var cs []struct {
		Type                      string          `json:"type"`
		Text                      *string         `json:"text"`
		AddSecurityRecommendation *bool           `json:"add_security_recommendation"`
		CodeExpirationMinutes     *int            `json:"code_expiration_minutes"`
		Buttons                   []authButton    `json:"buttons"`
		Example                   json.RawMessage `json:"example"`
	}
	if err := json.Unmarshal(raw, &cs); err != nil {
		return models.FieldError(models.EInvalid, "components", "must be an array of components: %v", err)
	}
	if t.ParameterFormat == "NAMED" {
		return models.FieldError(models.EInvalid, "parameterFormat", "authentication templates use positional parameters")
	}
	body, otp := false, false
	for i, c := range cs {
		field := fmt.Sprintf("components[%d]", i)
		switch strings.ToUpper(c.Type) {
		case "BODY":
			if c.Text != nil {
				return models.FieldError(models.EInvalid, field+".text", "WhatsApp writes the body of an authentication template; leave the text out")
			}
			body = true
		case "FOOTER":
			if c.Text != nil {
				return models.FieldError(models.EInvalid, field+".text", "an authentication footer has no text, only code_expiration_minutes")
			}
			if m := c.CodeExpirationMinutes; m == nil || *m < 1 || *m > 90 {
				return models.FieldError(models.EInvalid, field+".code_expiration_minutes", "must be 1 to 90")
			}
		case "BUTTONS":
			if len(c.Buttons) != 1 || strings.ToUpper(c.Buttons[0].Type) != "OTP" {
				return models.FieldError(models.EInvalid, field+".buttons", "an authentication template has exactly one OTP button")
			}
			b := c.Buttons[0]
			switch b.OTPType {
			case "COPY_CODE":
			case "ONE_TAP", "ZERO_TAP":
				if b.PackageName == "" && len(b.SupportedApps) == 0 {
					return models.FieldError(models.EInvalid, field+".buttons[0].supported_apps", "ONE_TAP and ZERO_TAP need the Android app (package_name and signature_hash)")
				}
			default:
				return models.FieldError(models.EInvalid, field+".buttons[0].otp_type", "must be COPY_CODE, ONE_TAP or ZERO_TAP")
			}
			otp = true
		case "HEADER":
			return models.FieldError(models.EInvalid, field+".type", "authentication templates have no header")
		default:
			return models.FieldError(models.EInvalid, field+".type", "must be BODY, FOOTER or BUTTONS")
		}
	}
	if !body || !otp {
		return models.FieldError(models.EInvalid, "components", "an authentication template needs a BODY and one OTP button")
	}
	return nil
}

type authButton struct {
	Type          string          `json:"type"`
	OTPType       string          `json:"otp_type"`
	PackageName   string          `json:"package_name"`
	SupportedApps json.RawMessage `json:"supported_apps"`
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
