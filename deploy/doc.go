// Package deploy holds no product code: it is the home of the container,
// docker-compose, Kubernetes, Prometheus and Grafana files, and of the tests
// that keep them consistent with the code (config keys, routes, ports,
// search attributes, exported metrics). Run them with `go test ./deploy/`.
package deploy
