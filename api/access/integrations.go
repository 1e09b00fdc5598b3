package access

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/apikeys"
	"github.com/wabascrm/scrm/models/integrations"
)

// mountIntegrations registers API keys and outbound webhooks (Admin).
func mountIntegrations(rt httpx.Routes, h handlers) {
	db := httpx.Need(h.Log, h.APIKeys.DB != nil && h.Webhooks.DB != nil, "database is not configured")
	rt.JSON(http.MethodGet, "/api-keys", models.PermAPIKeysWrite, h.listAPIKeys, db)
	rt.JSON(http.MethodPost, "/api-keys", models.PermAPIKeysWrite, h.createAPIKey, db)
	rt.JSON(http.MethodGet, "/api-keys/:id", models.PermAPIKeysWrite, h.getAPIKey, db)
	rt.JSON(http.MethodPost, "/api-keys/:id/revoke", models.PermAPIKeysWrite, h.revokeAPIKey, db)

	rt.JSON(http.MethodGet, "/webhooks/event-types", models.PermWebhooksWrite, h.webhookTypes, db)
	rt.JSON(http.MethodGet, "/webhooks", models.PermWebhooksWrite, h.listWebhooks, db)
	rt.JSON(http.MethodPost, "/webhooks", models.PermWebhooksWrite, h.createWebhook, db)
	rt.JSON(http.MethodGet, "/webhooks/:id", models.PermWebhooksWrite, h.getWebhook, db)
	rt.JSON(http.MethodPatch, "/webhooks/:id", models.PermWebhooksWrite, h.updateWebhook, db)
	rt.JSON(http.MethodDelete, "/webhooks/:id", models.PermWebhooksWrite, h.deleteWebhook, db)
	rt.JSON(http.MethodGet, "/webhook-deliveries", models.PermWebhooksWrite, h.listDeliveries, db)
	rt.JSON(http.MethodPost, "/webhook-deliveries/:id/replay", models.PermWebhooksWrite, h.replayDelivery, db)
}

func (h handlers) listAPIKeys(c *gin.Context) (int, any, error) {
	ks, err := h.APIKeys.List(c.Request.Context())
	return http.StatusOK, httpx.List(ks, int64(len(ks)), models.Page{Limit: len(ks)}), err
}

func (h handlers) createAPIKey(c *gin.Context) (int, any, error) {
	var in apikeys.APIKeyInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	k, err := h.APIKeys.Create(c.Request.Context(), httpx.Principal(c), in)
	return http.StatusCreated, k, err
}

func (h handlers) getAPIKey(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	k, err := h.APIKeys.Get(c.Request.Context(), id)
	return http.StatusOK, k, err
}

func (h handlers) revokeAPIKey(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	k, err := h.APIKeys.Revoke(c.Request.Context(), httpx.Principal(c), id)
	return http.StatusOK, k, err
}

func (h handlers) webhookTypes(*gin.Context) (int, any, error) {
	return http.StatusOK, map[string]any{"items": integrations.HookTypes()}, nil
}

func (h handlers) listWebhooks(c *gin.Context) (int, any, error) {
	subs, err := h.Webhooks.List(c.Request.Context())
	return http.StatusOK, httpx.List(subs, int64(len(subs)), models.Page{Limit: len(subs)}), err
}

func (h handlers) createWebhook(c *gin.Context) (int, any, error) {
	var in integrations.SubscriptionInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	sub, err := h.Webhooks.Create(c.Request.Context(), httpx.Principal(c), in)
	return http.StatusCreated, sub, err
}

func (h handlers) getWebhook(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	sub, err := h.Webhooks.Get(c.Request.Context(), id)
	return http.StatusOK, sub, err
}

func (h handlers) updateWebhook(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var in integrations.SubscriptionInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	sub, err := h.Webhooks.Update(c.Request.Context(), httpx.Principal(c), id, in)
	return http.StatusOK, sub, err
}

func (h handlers) deleteWebhook(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, h.Webhooks.Delete(c.Request.Context(), httpx.Principal(c), id)
}

// listDeliveries filters by subscriptionId, status, eventType, limit, offset.
func (h handlers) listDeliveries(c *gin.Context) (int, any, error) {
	f := integrations.DeliveryFilter{Status: c.Query("status"), EventType: c.Query("eventType")}
	var err error
	if f.Page, err = httpx.PageQuery(c); err == nil {
		f.SubscriptionID, err = httpx.QueryInt64(c, "subscriptionId")
	}
	if err != nil {
		return 0, nil, err
	}
	items, total, err := h.Webhooks.Deliveries(c.Request.Context(), f)
	return http.StatusOK, httpx.List(items, total, f.Page), err
}

func (h handlers) replayDelivery(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	d, err := h.Webhooks.Replay(c.Request.Context(), httpx.Principal(c), id)
	return http.StatusOK, d, err
}
