package models_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/wabascrm/scrm/models"
)

func TestInteractiveRequestCheck(t *testing.T) {
	ok := models.InteractiveRequest{Kind: models.InteractiveButtons, Body: "Pilih cara bayar",
		Choices: []models.InteractiveChoice{{ID: "va", Title: "Virtual account"}, {ID: "agent", Title: "Bicara dengan agen"}}}
	list := models.InteractiveRequest{Kind: models.InteractiveList, Body: "Pilih tanggal", Button: "Pilih tanggal",
		Choices: []models.InteractiveChoice{{ID: "ptp:2026-12-10", Title: "Kam, 10 Des", Description: "Janji bayar"}}}
	if err := ok.Check("interactive"); err != nil {
		t.Fatal(err)
	}
	if err := list.Check("interactive"); err != nil {
		t.Fatal(err)
	}
	with := func(r models.InteractiveRequest, f func(*models.InteractiveRequest)) models.InteractiveRequest {
		r.Choices = append([]models.InteractiveChoice(nil), r.Choices...)
		f(&r)
		return r
	}
	four := make([]models.InteractiveChoice, 4)
	for i := range four {
		four[i] = models.InteractiveChoice{ID: string(rune('a' + i)), Title: "x"}
	}
	for name, c := range map[string]struct {
		r     models.InteractiveRequest
		field string
	}{
		"no kind":                 {with(ok, func(r *models.InteractiveRequest) { r.Kind = "" }), "interactive.kind"},
		"no body":                 {with(ok, func(r *models.InteractiveRequest) { r.Body = " " }), "interactive.body"},
		"body over 1024":          {with(ok, func(r *models.InteractiveRequest) { r.Body = strings.Repeat("a", 1025) }), "interactive.body"},
		"header over 60":          {with(ok, func(r *models.InteractiveRequest) { r.Header = strings.Repeat("a", 61) }), "interactive.header"},
		"four buttons":            {with(ok, func(r *models.InteractiveRequest) { r.Choices = four }), "interactive.choices"},
		"button title over 20":    {with(ok, func(r *models.InteractiveRequest) { r.Choices[0].Title = strings.Repeat("a", 21) }), "interactive.choices[0].title"},
		"duplicate id":            {with(ok, func(r *models.InteractiveRequest) { r.Choices[1].ID = "va" }), "interactive.choices[1].id"},
		"button with description": {with(ok, func(r *models.InteractiveRequest) { r.Choices[0].Description = "x" }), "interactive.choices[0].description"},
		"buttons with a label":    {with(ok, func(r *models.InteractiveRequest) { r.Button = "Lihat" }), "interactive.button"},
		"list without a label":    {with(list, func(r *models.InteractiveRequest) { r.Button = "" }), "interactive.button"},
		"row title over 24":       {with(list, func(r *models.InteractiveRequest) { r.Choices[0].Title = strings.Repeat("a", 25) }), "interactive.choices[0].title"},
		"row description over 72": {with(list, func(r *models.InteractiveRequest) { r.Choices[0].Description = strings.Repeat("a", 73) }), "interactive.choices[0].description"},
		"row id over 200":         {with(list, func(r *models.InteractiveRequest) { r.Choices[0].ID = strings.Repeat("a", 201) }), "interactive.choices[0].id"},
		"no choices":              {with(list, func(r *models.InteractiveRequest) { r.Choices = nil }), "interactive.choices"},
	} {
		err := c.r.Check("interactive")
		var me *models.Error
		if err == nil || !errors.As(err, &me) || me.Field != c.field {
			t.Errorf("%s: %v, want a field error on %s", name, err, c.field)
		}
	}
}
