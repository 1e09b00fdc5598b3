package models

import (
	"errors"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"0812-3456-789", "628123456789", "+62 812 3456 789", "+62-812-3456-789", "00628123456789", " 0812 3456 789 "} {
		got, err := NormalizePhone(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got != "+62812345678"+"9" {
			t.Errorf("%q -> %q", in, got)
		}
	}
	if got, err := NormalizePhone("+44 20 7946 0958"); err != nil || got != "+442079460958" {
		t.Errorf("UK number -> %q, %v", got, err)
	}
	for _, in := range []string{"", "abc", "0812", "+62 1"} {
		_, err := NormalizePhone(in)
		var de *Error
		if !errors.As(err, &de) || de.Code != EInvalid || de.Field != "phone" {
			t.Errorf("%q: want invalid phone field error, got %v", in, err)
		}
	}
}
