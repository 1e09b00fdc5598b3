package messaging

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wabascrm/scrm/api/httpx"
	"github.com/wabascrm/scrm/models"
	"github.com/wabascrm/scrm/models/autoreply"
)

// mountAutoReplies registers a number's auto-reply rules. They hang under
// the number and every store call names it, so a rule id of another number
// answers 404; managing them is managing the number (senders:write).
func mountAutoReplies(rt httpx.Routes, h handlers) {
	rd, wr := models.PermSendersRead, models.PermSendersWrite
	rt.JSON(http.MethodGet, "/senders/:id/auto-replies", rd, h.listAutoReplies)
	rt.JSON(http.MethodPost, "/senders/:id/auto-replies", wr, h.createAutoReply)
	rt.JSON(http.MethodPut, "/senders/:id/auto-replies/:ruleId", wr, h.updateAutoReply)
	rt.JSON(http.MethodDelete, "/senders/:id/auto-replies/:ruleId", wr, h.deleteAutoReply)
}

func (h handlers) listAutoReplies(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	out, err := h.AutoReplies.List(c.Request.Context(), id)
	return http.StatusOK, gin.H{"data": out, "handoverKeywords": autoreply.HandoverKeywords()}, err
}

func (h handlers) createAutoReply(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	var in autoreply.RuleInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	out, err := h.AutoReplies.Create(c.Request.Context(), id, in)
	return http.StatusCreated, out, err
}

func (h handlers) updateAutoReply(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	ruleID, err := httpx.IDParam(c, "ruleId")
	if err != nil {
		return 0, nil, err
	}
	var in autoreply.RuleInput
	if err := httpx.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	out, err := h.AutoReplies.Update(c.Request.Context(), id, ruleID, in)
	return http.StatusOK, out, err
}

func (h handlers) deleteAutoReply(c *gin.Context) (int, any, error) {
	id, err := httpx.IDParam(c, "id")
	if err != nil {
		return 0, nil, err
	}
	ruleID, err := httpx.IDParam(c, "ruleId")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, h.AutoReplies.Delete(c.Request.Context(), id, ruleID)
}
