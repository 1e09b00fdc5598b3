package sim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

func tplErr(subcode int, details string) *apiErr {
	return &apiErr{400, codeInvalidParameter, subcode, "Invalid parameter", details}
}

// validateTemplateDef applies Meta's creation rules. handles are the
// header handles the Resumable Upload API issued (handle -> mime type).
func validateTemplateDef(def templateCreate, handles map[string]string) *apiErr {
	if !templateNameRE.MatchString(def.Name) {
		return tplErr(2388043, "name must be at most 512 lowercase letters, digits and underscores")
	}
	if !languageRE.MatchString(def.Language) {
		return tplErr(0, "language must be a language code like id or en_US")
	}
	switch def.ParameterFormat {
	case "", "POSITIONAL", "NAMED":
	default:
		return tplErr(0, "parameter_format must be POSITIONAL or NAMED")
	}
	switch def.Category {
	case "MARKETING", "UTILITY":
	case "AUTHENTICATION":
		return validateAuthentication(def)
	default:
		return tplErr(0, "category must be MARKETING, UTILITY or AUTHENTICATION")
	}
	seen := map[string]bool{}
	for i, c := range def.Components {
		p := "components[" + strconv.Itoa(i) + "]"
		if seen[c.Type] {
			return tplErr(0, p+": at most one "+c.Type+" component")
		}
		seen[c.Type] = true
		if c.AddSecurityRecommendation != nil {
			return unexpected("add_security_recommendation", p)
		}
		if c.CodeExpirationMinutes != nil {
			return unexpected("code_expiration_minutes", p)
		}
		var e *apiErr
		switch c.Type {
		case "HEADER":
			e = checkHeaderDef(p, c, def.ParameterFormat, handles)
		case "BODY":
			e = checkBodyDef(p, c, def.ParameterFormat)
		case "FOOTER":
			e = checkFooterDef(p, c)
		case "BUTTONS":
			e = checkButtonsDef(p, c.Buttons)
		default:
			e = invalidValue(p + ".type must be HEADER, BODY, FOOTER or BUTTONS")
		}
		if e != nil {
			return e
		}
	}
	if !seen["BODY"] {
		return required("a BODY component is required")
	}
	return nil
}

func text(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// checkVarsDef: positional variables are {{1}}..{{n}} in order of first
// appearance; named ones lowercase letters, digits and underscores.
// Variables may not start or end the body (2388299).
func checkVarsDef(p string, vars []string, format string) *apiErr {
	for i, v := range vars {
		if format == "NAMED" {
			if !namedParamRE.MatchString(v) {
				return tplErr(2388043, fmt.Sprintf("%s: named parameter {{%s}} must be lowercase letters, digits and underscores", p, v))
			}
		} else if v != strconv.Itoa(i+1) {
			return tplErr(2388043, fmt.Sprintf("%s: variables must be {{1}}..{{n}} in order; found {{%s}} at position %d", p, v, i+1))
		}
	}
	return nil
}

func checkHeaderDef(p string, c tplCompDef, format string, handles map[string]string) *apiErr {
	switch c.Format {
	case "TEXT":
		t := text(c.Text)
		if t == "" || utf8.RuneCountInString(t) > 60 {
			return tplErr(0, p+": a TEXT header needs text of at most 60 characters")
		}
		if strings.ContainsAny(t, "\n*_~`") || containsEmoji(t) {
			return tplErr(0, p+": header text cannot have new lines, formatting characters or emoji")
		}
		vars := placeholders(t)
		if len(vars) > 1 {
			return tplErr(2388072, p+": a text header takes at most 1 variable")
		}
		if e := checkVarsDef(p, vars, format); e != nil {
			return e
		}
		if len(vars) == 1 {
			ex := c.Example
			switch {
			case format == "NAMED" && (ex == nil || len(ex.HeaderTextNamedParams) != 1 || ex.HeaderTextNamedParams[0].ParamName != vars[0]):
				return tplErr(2388043, p+": example.header_text_named_params must give the variable "+vars[0])
			case format != "NAMED" && (ex == nil || len(ex.HeaderText) != 1):
				return tplErr(2388043, p+": example.header_text must give 1 example value")
			}
		}
		if c.Example != nil && len(c.Example.HeaderHandle) > 0 {
			return unexpected("header_handle", p+"['example']")
		}
	case "IMAGE", "VIDEO", "DOCUMENT":
		if c.Text != nil {
			return unexpected("text", p)
		}
		if c.Example == nil || len(c.Example.HeaderHandle) != 1 {
			return required(p + ": a " + c.Format + " header needs example.header_handle from the Resumable Upload API")
		}
		mt, ok := handles[c.Example.HeaderHandle[0]]
		if !ok {
			return invalidValue(p + ": example.header_handle is not a handle the Resumable Upload API issued")
		}
		if !mediaFits(c.Format, mt) {
			return invalidValue(fmt.Sprintf("%s: the header_handle file is %s, not a %s", p, mt, c.Format))
		}
	case "LOCATION":
		if c.Text != nil || c.Example != nil {
			return unexpected("text", p)
		}
	case "":
		return required(p + ".format is required for a HEADER")
	default:
		return invalidValue(p + ".format must be TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION")
	}
	return nil
}

// mediaFits: header media types (image/jpeg|png, video/mp4, application/pdf).
func mediaFits(format, mime string) bool {
	switch format {
	case "IMAGE":
		return mime == "image/jpeg" || mime == "image/jpg" || mime == "image/png"
	case "VIDEO":
		return mime == "video/mp4"
	case "DOCUMENT":
		return mime == "application/pdf"
	}
	return false
}

func containsEmoji(s string) bool {
	for _, r := range s {
		if r >= 0x1F300 && r <= 0x1FAFF || r >= 0x2600 && r <= 0x27BF {
			return true
		}
	}
	return false
}

func checkBodyDef(p string, c tplCompDef, format string) *apiErr {
	t := text(c.Text)
	if strings.TrimSpace(t) == "" {
		return required(p + ": BODY text is required")
	}
	if utf8.RuneCountInString(t) > 1024 {
		return tplErr(2388040, p+": body text is longer than 1024 characters")
	}
	if c.Format != "" {
		return unexpected("format", p)
	}
	vars := placeholders(t)
	if e := checkVarsDef(p, vars, format); e != nil {
		return e
	}
	if len(vars) == 0 {
		return nil
	}
	trimmed := strings.TrimSpace(t)
	if loc := placeholderRE.FindStringIndex(trimmed); loc != nil && loc[0] == 0 {
		return tplErr(2388299, p+": variables can't be at the start or end of the template")
	}
	if all := placeholderRE.FindAllStringIndex(trimmed, -1); all[len(all)-1][1] == len(trimmed) {
		return tplErr(2388299, p+": variables can't be at the start or end of the template")
	}
	ex := c.Example
	if format == "NAMED" {
		if ex == nil || len(ex.BodyTextNamedParams) != len(vars) {
			return tplErr(2388043, fmt.Sprintf("%s: example.body_text_named_params must give %d example(s)", p, len(vars)))
		}
		for _, np := range ex.BodyTextNamedParams {
			found := false
			for _, v := range vars {
				found = found || v == np.ParamName
			}
			if !found || np.Example == "" {
				return tplErr(2388043, p+": example for unknown or empty named parameter "+np.ParamName)
			}
		}
		return nil
	}
	if ex == nil || len(ex.BodyText) != 1 || len(ex.BodyText[0]) != len(vars) {
		return tplErr(2388043, fmt.Sprintf("%s: example.body_text must give %d example value(s)", p, len(vars)))
	}
	return nil
}

func checkFooterDef(p string, c tplCompDef) *apiErr {
	t := text(c.Text)
	if t == "" || utf8.RuneCountInString(t) > 60 {
		return tplErr(0, p+": FOOTER text is required, at most 60 characters")
	}
	if len(placeholders(t)) > 0 {
		return tplErr(0, p+": a footer cannot have variables")
	}
	return nil
}

// checkButtonsDef: at most 10 buttons; QUICK_REPLY buttons grouped together;
// at most 2 URL, 1 PHONE_NUMBER and 1 COPY_CODE; texts <= 25; a URL has at
// most one variable, at its end, with an example; COPY_CODE needs an
// example code of at most 15 characters.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/components#buttons
func checkButtonsDef(p string, bs []tplButtonD) *apiErr {
	if len(bs) == 0 || len(bs) > 10 {
		return tplErr(0, p+": 1 to 10 buttons")
	}
	count := map[string]int{}
	qrGroups := 0
	prevQR := false
	for i, b := range bs {
		bp := p + ".buttons[" + strconv.Itoa(i) + "]"
		count[b.Type]++
		isQR := b.Type == "QUICK_REPLY"
		if isQR && !prevQR {
			qrGroups++
		}
		prevQR = isQR
		if b.OTPType != "" {
			return unexpected("otp_type", bp)
		}
		if b.Type != "COPY_CODE" && (b.Text == "" || utf8.RuneCountInString(b.Text) > 25) {
			return tplErr(0, bp+": button text is required, at most 25 characters")
		}
		switch b.Type {
		case "QUICK_REPLY":
			if b.URL != "" || b.PhoneNumber != "" || len(b.Example) > 0 {
				return unexpected(firstSet(map[string]bool{"url": b.URL != "", "phone_number": b.PhoneNumber != "", "example": len(b.Example) > 0}), bp)
			}
		case "URL":
			if b.URL == "" || len(b.URL) > 2000 {
				return required(bp + ": url is required, at most 2000 characters")
			}
			vars := placeholders(b.URL)
			if len(vars) > 1 || (len(vars) == 1 && (vars[0] != "1" || !strings.HasSuffix(strings.TrimSpace(b.URL), "}}"))) {
				return tplErr(0, bp+": a URL button has at most one variable {{1}}, at the end of the url")
			}
			var ex []string
			if len(vars) == 1 && (json.Unmarshal(b.Example, &ex) != nil || len(ex) != 1) {
				return required(bp + ": a dynamic URL needs example [\"https://...\"]")
			}
		case "PHONE_NUMBER":
			if b.PhoneNumber == "" || len(b.PhoneNumber) > 20 {
				return required(bp + ": phone_number is required, at most 20 characters")
			}
		case "COPY_CODE":
			var ex string
			if json.Unmarshal(b.Example, &ex) != nil || ex == "" || utf8.RuneCountInString(ex) > 15 {
				return required(bp + ": a COPY_CODE button needs an example code of at most 15 characters")
			}
		case "OTP":
			return invalidValue(bp + ": OTP buttons are only for AUTHENTICATION templates")
		default:
			return invalidValue(bp + ".type must be QUICK_REPLY, URL, PHONE_NUMBER or COPY_CODE")
		}
	}
	switch {
	case qrGroups > 1:
		return tplErr(0, p+": quick reply buttons must be grouped together")
	case count["URL"] > 2:
		return tplErr(0, p+": at most 2 URL buttons")
	case count["PHONE_NUMBER"] > 1:
		return tplErr(0, p+": at most 1 PHONE_NUMBER button")
	case count["COPY_CODE"] > 1:
		return tplErr(0, p+": at most 1 COPY_CODE button")
	}
	return nil
}

// validateAuthentication: authentication templates have a fixed body (no
// text of ours; optional add_security_recommendation), an optional footer
// with code_expiration_minutes (1-90), and exactly one OTP button
// (COPY_CODE, ONE_TAP or ZERO_TAP); no header.
// https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/authentication-templates
func validateAuthentication(def templateCreate) *apiErr {
	body, buttons := false, false
	for i, c := range def.Components {
		p := "components[" + strconv.Itoa(i) + "]"
		switch c.Type {
		case "BODY":
			if c.Text != nil {
				return unexpected("text", p)
			}
			body = true
		case "FOOTER":
			if c.Text != nil {
				return unexpected("text", p)
			}
			if m := c.CodeExpirationMinutes; m == nil || *m < 1 || *m > 90 {
				return invalidValue(p + ".code_expiration_minutes must be 1 to 90")
			}
		case "BUTTONS":
			if len(c.Buttons) != 1 || c.Buttons[0].Type != "OTP" {
				return invalidValue(p + ": an authentication template has exactly one OTP button")
			}
			switch c.Buttons[0].OTPType {
			case "COPY_CODE", "ONE_TAP", "ZERO_TAP":
			default:
				return invalidValue(p + ".buttons[0].otp_type must be COPY_CODE, ONE_TAP or ZERO_TAP")
			}
			if t := c.Buttons[0].OTPType; t != "COPY_CODE" && c.Buttons[0].PackageName == "" && len(c.Buttons[0].SupportedApps) == 0 {
				return required(p + ".buttons[0]: ONE_TAP and ZERO_TAP need supported_apps (package_name and signature_hash)")
			}
			buttons = true
		case "HEADER":
			return invalidValue(p + ": authentication templates have no header")
		default:
			return invalidValue(p + ".type must be BODY, FOOTER or BUTTONS")
		}
	}
	if !body || !buttons {
		return required("an authentication template needs a BODY and a BUTTONS component with an OTP button")
	}
	if def.ParameterFormat == "NAMED" {
		return invalidValue("authentication templates use positional parameters")
	}
	return nil
}
