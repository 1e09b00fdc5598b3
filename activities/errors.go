package activities

import (
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/wabascrm/scrm/models"
)

// BusinessErrorType is the ApplicationError type of rule violations: they
// are not retried and the workflow reports them to the caller.
const BusinessErrorType = "BusinessRule"

// businessOrRetry turns a domain rule violation into a non-retryable
// application error (carrying the domain code as details) and leaves
// everything else retryable.
func businessOrRetry(err error) error {
	var de *models.Error
	if errors.As(err, &de) {
		switch de.Code {
		case models.EInvalid, models.ENotFound, models.EConflict, models.EUnprocessable, models.EForbidden:
			return temporal.NewNonRetryableApplicationError(de.Message, BusinessErrorType, err, string(de.Code), de.Field)
		}
	}
	return err
}
