package waba

import "encoding/json"

// PhoneNumberInfo is GET /{phone_number_id}: quality, limits and name review.
type PhoneNumberInfo struct {
	ID                     string `json:"id"`
	DisplayPhoneNumber     string `json:"display_phone_number"`
	VerifiedName           string `json:"verified_name"`
	QualityRating          string `json:"quality_rating"`
	NameStatus             string `json:"name_status,omitempty"`
	CodeVerificationStatus string `json:"code_verification_status,omitempty"`
	// MessagingLimitTier is the business portfolio's messaging limit
	// (whatsapp_business_manager_messaging_limit; messaging_limit_tier,
	// its deprecated per-number predecessor, is not requested).
	MessagingLimitTier string `json:"whatsapp_business_manager_messaging_limit,omitempty"`
	PlatformType       string `json:"platform_type,omitempty"`
	Throughput         struct {
		Level string `json:"level"`
	} `json:"throughput"`
}

// ThroughputMPS converts Meta's throughput level to messages per second.
func (p PhoneNumberInfo) ThroughputMPS() int {
	if p.Throughput.Level == "HIGH" {
		return 1000
	}
	return 80
}

// TemplateDef is a template as submitted for review.
type TemplateDef struct {
	Name            string          `json:"name"`
	Language        string          `json:"language"`
	Category        string          `json:"category"`
	ParameterFormat string          `json:"parameter_format,omitempty"`
	Components      json.RawMessage `json:"components"`
}

// TemplateCreated is the answer to a template submission.
type TemplateCreated struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Category string `json:"category"`
}

// TemplateInfo is one template as listed by Meta.
type TemplateInfo struct {
	ID              string          `json:"id"`
	Name            string          `json:"name"`
	Language        string          `json:"language"`
	Category        string          `json:"category"`
	Status          string          `json:"status"`
	ParameterFormat string          `json:"parameter_format,omitempty"`
	RejectedReason  string          `json:"rejected_reason,omitempty"`
	Components      json.RawMessage `json:"components,omitempty"`
}
