// Package dispatch holds the per-number send budget: the queue of a number's
// campaign sends, throughput per second, warm-up and the portfolio's messaging limit.
package dispatch
