package screen

import (
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"os"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

var screenSample = Info{Name: "Tiers-lieu La Fabrique", WiFi: "Fabrique-Invités",
	URL: "https://coopbox.local/", Others: []string{"https://192.168.1.20/"}}

// TestScreenQRCode renders the join screen at two HDMI sizes and a portrait
// one, and reads the QR code back module by module: every module is where
// the code puts it, in black or white.
func TestScreenQRCode(t *testing.T) {
	q, err := qrcode.New(screenSample.URL, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	bm := q.Bitmap()
	for _, size := range []image.Point{{1920, 1080}, {1280, 720}, {720, 1280}} {
		img, err := renderScreen(size.X, size.Y, screenSample)
		if err != nil {
			t.Fatal(err)
		}
		r, m := screenLayout(size.X, size.Y, len(bm))
		if m < 3 {
			t.Errorf("%v: modules of %d px are too small to scan from across a room", size, m)
		}
		if !r.In(img.Bounds()) {
			t.Fatalf("%v: the QR code %v leaves the screen", size, r)
		}
		for y, row := range bm {
			for x, on := range row {
				c := img.RGBAAt(r.Min.X+x*m+m/2, r.Min.Y+y*m+m/2)
				if dark := c.R < 128; dark != on {
					t.Fatalf("%v: module (%d,%d) is %v, want dark=%v", size, x, y, c, on)
				}
			}
		}
		// The text drew something dark left of (or above) the code.
		dark := 0
		for y := 0; y < size.Y; y++ {
			for x := 0; x < size.X; x++ {
				if !image.Pt(x, y).In(r) && img.RGBAAt(x, y).R < 128 {
					dark++
				}
			}
		}
		if dark < size.X*size.Y/500 {
			t.Errorf("%v: only %d dark pixels outside the QR code: no text drawn", size, dark)
		}
		if size.X == 1280 && os.Getenv("COOPBOX_SCREENSHOTS") != "" {
			f, _ := os.Create(os.Getenv("COOPBOX_SCREENSHOTS") + "/hdmi.png")
			png.Encode(f, img)
			f.Close()
		}
	}
}

// TestScreenClaimCode: an unclaimed box's screen draws the claim code in
// the accent colour beside the QR code; a claimed box's does not, and the
// QR code reads the same either way.
func TestScreenClaimCode(t *testing.T) {
	accent := func(img *image.RGBA) int {
		n := 0
		for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
			for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
				if c := img.RGBAAt(x, y); c.B > 140 && c.R < 100 {
					n++
				}
			}
		}
		return n
	}
	unclaimed := screenSample
	unclaimed.ClaimCode = "4821 0937 5512"
	for _, size := range []image.Point{{1920, 1080}, {720, 1280}} {
		with, err := renderScreen(size.X, size.Y, unclaimed)
		if err != nil {
			t.Fatal(err)
		}
		without, err := renderScreen(size.X, size.Y, screenSample)
		if err != nil {
			t.Fatal(err)
		}
		// The code is twelve large digits: thousands of pixels at this size.
		if a, b := accent(with), accent(without); a < b+size.X*size.Y/1000 {
			t.Errorf("%v: %d accent pixels with the claim code, %d without: the code is not drawn", size, a, b)
		}
		q, _ := qrcode.New(screenSample.URL, qrcode.Medium)
		r, _ := screenLayout(size.X, size.Y, len(q.Bitmap()))
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if with.RGBAAt(x, y) != without.RGBAAt(x, y) {
					t.Fatalf("%v: the claim code drew over the QR code at (%d,%d)", size, x, y)
				}
			}
		}
		if size.X == 1920 && os.Getenv("COOPBOX_SCREENSHOTS") != "" {
			f, _ := os.Create(os.Getenv("COOPBOX_SCREENSHOTS") + "/hdmi-unclaimed.png")
			png.Encode(f, with)
			f.Close()
		}
	}
}

// TestPackPixels writes a few colours in the two framebuffer formats the Pi
// uses (RGB565 and XRGB8888), with a stride wider than a row.
func TestPackPixels(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.SetRGBA(0, 0, color.RGBA{0xff, 0, 0, 0xff})
	img.SetRGBA(1, 0, color.RGBA{0, 0xff, 0, 0xff})
	img.SetRGBA(2, 0, color.RGBA{0, 0, 0xff, 0xff})
	img.SetRGBA(0, 1, color.RGBA{0xff, 0xff, 0xff, 0xff})

	rgb565 := fbGeometry{Width: 3, Height: 2, Stride: 8, BitsPerPixel: 16,
		Red: fbBitfield{11, 5}, Green: fbBitfield{5, 6}, Blue: fbBitfield{0, 5}}
	out := packPixels(img, rgb565)
	for i, want := range []uint16{0xf800, 0x07e0, 0x001f} {
		if got := binary.LittleEndian.Uint16(out[i*2:]); got != want {
			t.Errorf("RGB565 pixel %d = %#04x, want %#04x", i, got, want)
		}
	}
	if got := binary.LittleEndian.Uint16(out[8:]); got != 0xffff {
		t.Errorf("RGB565 second row starts with %#04x, want white at the stride", got)
	}

	xrgb := fbGeometry{Width: 3, Height: 2, Stride: 16, BitsPerPixel: 32,
		Red: fbBitfield{16, 8}, Green: fbBitfield{8, 8}, Blue: fbBitfield{0, 8}}
	out = packPixels(img, xrgb)
	for i, want := range []uint32{0xff0000, 0x00ff00, 0x0000ff} {
		if got := binary.LittleEndian.Uint32(out[i*4:]); got != want {
			t.Errorf("XRGB8888 pixel %d = %#06x, want %#06x", i, got, want)
		}
	}
	if got := binary.LittleEndian.Uint32(out[16:]); got != 0xffffff {
		t.Errorf("XRGB8888 second row starts with %#06x, want white at the stride", got)
	}
}

// TestScreenWithoutFramebuffer: a regular file is not a framebuffer; the
// screen says so instead of writing into it.
func TestScreenWithoutFramebuffer(t *testing.T) {
	f := t.TempDir() + "/fb0"
	os.WriteFile(f, nil, 0o600)
	if err := drawScreen(f, screenSample); err == nil {
		t.Error("drawScreen wrote into a regular file")
	}
	if fi, _ := os.Stat(f); fi.Size() != 0 {
		t.Errorf("the file grew to %d bytes", fi.Size())
	}
	if err := drawScreen(t.TempDir()+"/missing", screenSample); err == nil {
		t.Error("drawScreen succeeded without a device")
	}
}
