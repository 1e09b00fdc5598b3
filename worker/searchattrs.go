package worker

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/wabascrm/scrm/workflows"
)

// RegisterSearchAttributes adds the project's custom search attributes to the
// namespace, skipping the ones that exist already. Safe to run on every start.
func RegisterSearchAttributes(ctx context.Context, c client.Client, namespace string) (added []string, err error) {
	ops := c.OperatorService()
	have, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return nil, fmt.Errorf("list search attributes of %q: %w", namespace, err)
	}
	want := workflows.SearchAttributes()
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range want {
		if _, ok := have.GetCustomAttributes()[name]; ok {
			continue
		}
		missing[name] = typ
		added = append(added, name)
	}
	if len(missing) == 0 {
		return nil, nil
	}
	_, err = ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	if err != nil {
		return nil, fmt.Errorf("add search attributes %v to %q: %w", added, namespace, err)
	}
	return added, nil
}
