// Package tally counts votes.
package tally
