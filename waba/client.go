package waba

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// Client calls the WhatsApp Cloud API. It is safe for concurrent use.
type Client struct {
	baseURL string
	version string
	token   string
	http    *http.Client
}

// NewClient builds a client for baseURL (https://graph.facebook.com or the
// simulator), an API version like v23.0 and a bearer token. A nil hc gets a
// client with a 30s timeout.
func NewClient(baseURL, version, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{baseURL: strings.TrimSuffix(baseURL, "/"), version: version, token: token, http: hc}
}

// SendOptions are common to every send. BizOpaque must carry our message id
// so status webhooks can be matched even when the send's answer was lost.
type SendOptions struct {
	BizOpaque string
	ReplyTo   string // wamid of the message being answered
}

// ErrNoOpaque is returned for a send without our message id.
var ErrNoOpaque = errors.New("waba: send without biz_opaque_callback_data (our message id)")

// Send posts m from phoneNumberID. The typed helpers below build m.
func (c *Client) Send(ctx context.Context, phoneNumberID string, m OutboundMessage, o SendOptions) (SendResult, error) {
	if o.BizOpaque == "" {
		return SendResult{}, ErrNoOpaque
	}
	if len(o.BizOpaque) > 512 {
		return SendResult{}, fmt.Errorf("waba: biz_opaque_callback_data over 512 characters")
	}
	m.MessagingProduct = "whatsapp"
	m.RecipientType = "individual"
	m.BizOpaqueCallbackData = o.BizOpaque
	if o.ReplyTo != "" {
		m.Context = &ReplyContext{MessageID: o.ReplyTo}
	}
	// A phone-less customer is addressed by BSUID in recipient, not to.
	if IsBSUID(m.To) {
		m.Recipient, m.To = m.To, ""
	}
	if err := m.check(); err != nil {
		return SendResult{}, err
	}
	var out SendResult
	if err := c.do(ctx, http.MethodPost, "/"+url.PathEscape(phoneNumberID)+"/messages", m, &out); err != nil {
		return SendResult{}, err
	}
	return out, nil
}

// SendText sends a free-form text.
func (c *Client) SendText(ctx context.Context, phoneNumberID, to, body string, previewURL bool, o SendOptions) (SendResult, error) {
	return c.Send(ctx, phoneNumberID, OutboundMessage{To: to, Type: "text", Text: &OutboundText{Body: body, PreviewURL: previewURL}}, o)
}

// SendMedia sends image, video, audio, document or sticker by media id or link.
func (c *Client) SendMedia(ctx context.Context, phoneNumberID, to, kind string, media OutboundMedia, o SendOptions) (SendResult, error) {
	m := OutboundMessage{To: to, Type: kind}
	switch kind {
	case "image":
		m.Image = &media
	case "video":
		m.Video = &media
	case "audio":
		m.Audio = &media
	case "document":
		m.Document = &media
	case "sticker":
		m.Sticker = &media
	default:
		return SendResult{}, fmt.Errorf("waba: %q is not a media type", kind)
	}
	return c.Send(ctx, phoneNumberID, m, o)
}

// SendTemplate sends an approved template with its parameters.
func (c *Client) SendTemplate(ctx context.Context, phoneNumberID, to string, t Template, o SendOptions) (SendResult, error) {
	return c.Send(ctx, phoneNumberID, OutboundMessage{To: to, Type: "template", Template: &t}, o)
}

// SendInteractive sends reply buttons, a list or a cta_url message.
func (c *Client) SendInteractive(ctx context.Context, phoneNumberID, to string, in Interactive, o SendOptions) (SendResult, error) {
	return c.Send(ctx, phoneNumberID, OutboundMessage{To: to, Type: "interactive", Interactive: &in}, o)
}

// SendReaction reacts to messageID with emoji ("" removes the reaction).
func (c *Client) SendReaction(ctx context.Context, phoneNumberID, to, messageID, emoji string, o SendOptions) (SendResult, error) {
	return c.Send(ctx, phoneNumberID, OutboundMessage{To: to, Type: "reaction", Reaction: &OutboundReaction{MessageID: messageID, Emoji: emoji}}, o)
}

// MarkRead marks an inbound message (and those before it) as read; with
// typing it also shows the customer the typing indicator.
func (c *Client) MarkRead(ctx context.Context, phoneNumberID, wamid string, typing bool) error {
	body := readReceipt{MessagingProduct: "whatsapp", Status: "read", MessageID: wamid}
	if typing {
		body.TypingIndicator = &typingIndicator{Type: "text"}
	}
	var out struct {
		Success bool `json:"success"`
	}
	if err := c.do(ctx, http.MethodPost, "/"+url.PathEscape(phoneNumberID)+"/messages", body, &out); err != nil {
		return err
	}
	if !out.Success {
		return fmt.Errorf("waba: mark read of %s not confirmed", wamid)
	}
	return nil
}

// UploadMedia uploads a file and returns its media id.
//
// The multipart body is written through a pipe while it is sent, so a file
// of up to 100 MB is never held in memory.
func (c *Client) UploadMedia(ctx context.Context, phoneNumberID, filename, mimeType string, r io.Reader) (string, error) {
	pr, pw := io.Pipe()
	w := multipart.NewWriter(pw)
	go func() {
		_ = w.WriteField("messaging_product", "whatsapp")
		_ = w.WriteField("type", mimeType)
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filename))
		h.Set("Content-Type", mimeType)
		part, err := w.CreatePart(h)
		if err == nil {
			if _, err = io.Copy(part, r); err != nil {
				err = fmt.Errorf("waba: upload: read file: %w", err)
			}
		}
		if err == nil {
			err = w.Close()
		}
		pw.CloseWithError(err) // nil: the reader sees EOF
	}()
	var out struct {
		ID string `json:"id"`
	}
	err := c.doRaw(ctx, http.MethodPost, "/"+url.PathEscape(phoneNumberID)+"/media", w.FormDataContentType(), pr, &out)
	_ = pr.CloseWithError(errors.New("upload finished")) // stops the writer if the request ended early
	if err != nil {
		return "", err
	}
	return out.ID, nil
}

// ListTemplates returns the WABA's templates, optionally filtered by name.
func (c *Client) ListTemplates(ctx context.Context, wabaID, name string) ([]TemplateInfo, error) {
	q := url.Values{"limit": {"100"}}
	if name != "" {
		q.Set("name", name)
	}
	path := "/" + url.PathEscape(wabaID) + "/message_templates?" + q.Encode()
	var all []TemplateInfo
	for path != "" {
		var page struct {
			Data   []TemplateInfo `json:"data"`
			Paging struct {
				Cursors struct {
					After string `json:"after"`
				} `json:"cursors"`
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := c.do(ctx, http.MethodGet, path, nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Data...)
		path = ""
		if page.Paging.Next != "" && page.Paging.Cursors.After != "" {
			q.Set("after", page.Paging.Cursors.After)
			path = "/" + url.PathEscape(wabaID) + "/message_templates?" + q.Encode()
		}
	}
	return all, nil
}

// CreateTemplate submits a template for review.
func (c *Client) CreateTemplate(ctx context.Context, wabaID string, t TemplateDef) (TemplateCreated, error) {
	var out TemplateCreated
	err := c.do(ctx, http.MethodPost, "/"+url.PathEscape(wabaID)+"/message_templates", t, &out)
	return out, err
}

// DeleteTemplate deletes every language of the template called name.
func (c *Client) DeleteTemplate(ctx context.Context, wabaID, name string) error {
	var out struct {
		Success bool `json:"success"`
	}
	return c.do(ctx, http.MethodDelete, "/"+url.PathEscape(wabaID)+"/message_templates?name="+url.QueryEscape(name), nil, &out)
}

// PhoneNumber reads a number's quality, throughput, limit tier and name status.
func (c *Client) PhoneNumber(ctx context.Context, phoneNumberID string) (PhoneNumberInfo, error) {
	var out PhoneNumberInfo
	fields := "id,display_phone_number,verified_name,quality_rating,name_status,code_verification_status,whatsapp_business_manager_messaging_limit,throughput,platform_type"
	err := c.do(ctx, http.MethodGet, "/"+url.PathEscape(phoneNumberID)+"?fields="+fields, nil, &out)
	return out, err
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	ctype := ""
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("waba: encode request: %w", err)
		}
		body, ctype = bytes.NewReader(raw), "application/json"
	}
	return c.doRaw(ctx, method, path, ctype, body, out)
}

func (c *Client) doRaw(ctx context.Context, method, path, ctype string, body io.Reader, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+"/"+c.version+path, body)
	if err != nil {
		return fmt.Errorf("waba: build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return c.send(req, out)
}

// send performs req and decodes the answer into out, or Meta's error.
func (c *Client) send(req *http.Request, out any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("waba: %s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("waba: read answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		var env struct {
			Error *APIError `json:"error"`
		}
		if json.Unmarshal(raw, &env) == nil && env.Error != nil {
			env.Error.HTTPStatus = resp.StatusCode
			return env.Error
		}
		return &APIError{HTTPStatus: resp.StatusCode, Message: strings.TrimSpace(string(raw))}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("waba: decode answer: %w", err)
		}
	}
	return nil
}
