package worker

import (
	"errors"

	"go.temporal.io/api/serviceerror"
)

func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}
