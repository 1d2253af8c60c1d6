//go:build pins

package image

// The image carries files from these modules (kernels, device trees, Pi
// firmware), not code. Importing their empty Go packages under a build tag
// that is never set keeps them in go.mod and go.sum, so `go mod tidy` does
// not drop them and every build takes exactly the pinned versions.
import (
	_ "github.com/gokrazy/firmware"
	_ "github.com/gokrazy/kernel.arm64"
	_ "github.com/gokrazy/kernel.rpi"
)
