// Package screen draws the box's join screen on a Linux framebuffer: when a
// screen is plugged into the box's HDMI port, it shows the box's name, how to
// join (Wi-Fi name, addresses) and a QR code (-screen /dev/fb0 on the
// appliance; off on a laptop, whose console it would paint over). It redraws
// when what it shows changes.
package screen

import (
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"log/slog"
	"os"
	"slices"
	"time"
	"unsafe"

	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/sys/unix"
)

// Info is what the screen shows.
type Info struct {
	Name   string
	WiFi   string
	URL    string   // the address in the QR code
	Others []string // other addresses, as text
	// ClaimCode is the code that claiming the box asks for, shown in large
	// digits beside the QR code until the box is claimed ("" after).
	ClaimCode string
}

func (a Info) equal(b Info) bool {
	return a.Name == b.Name && a.WiFi == b.WiFi && a.URL == b.URL && slices.Equal(a.Others, b.Others) &&
		a.ClaimCode == b.ClaimCode
}

// Run draws info on the framebuffer at path every time it changes,
// checking every five seconds, until ctx ends.
func Run(ctx context.Context, path string, info func() Info, log *slog.Logger) {
	var shown Info
	var lastErr string
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for first := true; ; first = false {
		if !first {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
		in := info()
		if in.equal(shown) && lastErr == "" {
			continue
		}
		if err := drawScreen(path, in); err != nil {
			if err.Error() != lastErr { // a box without a screen: say it once
				log.Info("no HDMI screen drawn", "framebuffer", path, "err", err)
				lastErr = err.Error()
			}
			continue
		}
		if lastErr != "" {
			log.Info("HDMI screen drawn", "framebuffer", path)
		}
		shown, lastErr = in, ""
	}
}

// fbGeometry is how a framebuffer lays out pixels.
type fbGeometry struct {
	Width, Height, Stride, BitsPerPixel int
	Red, Green, Blue                    fbBitfield
}

type fbBitfield struct{ Offset, Length uint32 }

// Linux framebuffer ioctls (linux/fb.h).
const (
	fbioGetVScreenInfo = 0x4600
	fbioGetFScreenInfo = 0x4602
)

// fbOpen opens a framebuffer device and reads its geometry.
func fbOpen(path string) (*os.File, fbGeometry, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fbGeometry{}, err
	}
	var vinfo [160]byte // struct fb_var_screeninfo
	var finfo [80]byte  // struct fb_fix_screeninfo (64-bit layout)
	for _, q := range []struct {
		req uintptr
		buf unsafe.Pointer
	}{{fbioGetVScreenInfo, unsafe.Pointer(&vinfo)}, {fbioGetFScreenInfo, unsafe.Pointer(&finfo)}} {
		if _, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), q.req, uintptr(q.buf)); errno != 0 {
			f.Close()
			return nil, fbGeometry{}, fmt.Errorf("%s is not a framebuffer: %w", path, errno)
		}
	}
	u32 := func(b []byte, off int) uint32 { return binary.NativeEndian.Uint32(b[off:]) }
	g := fbGeometry{
		Width: int(u32(vinfo[:], 0)), Height: int(u32(vinfo[:], 4)), BitsPerPixel: int(u32(vinfo[:], 24)),
		Red:    fbBitfield{u32(vinfo[:], 32), u32(vinfo[:], 36)},
		Green:  fbBitfield{u32(vinfo[:], 44), u32(vinfo[:], 48)},
		Blue:   fbBitfield{u32(vinfo[:], 56), u32(vinfo[:], 60)},
		Stride: int(u32(finfo[:], 48)), // line_length, after id[16], smem_start, smem_len, type, type_aux, visual and three u16
	}
	if g.Width == 0 || g.Height == 0 || (g.BitsPerPixel != 16 && g.BitsPerPixel != 32) || g.Stride < g.Width*g.BitsPerPixel/8 {
		f.Close()
		return nil, fbGeometry{}, fmt.Errorf("framebuffer %s: unsupported geometry %+v", path, g)
	}
	return f, g, nil
}

func drawScreen(path string, in Info) error {
	f, g, err := fbOpen(path)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := renderScreen(g.Width, g.Height, in)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(packPixels(img, g), 0)
	return err
}

// packPixels converts img to the framebuffer's pixel format, row by row at
// its stride.
func packPixels(img *image.RGBA, g fbGeometry) []byte {
	bpp := g.BitsPerPixel / 8
	out := make([]byte, g.Stride*g.Height)
	scale := func(v uint8, bf fbBitfield) uint32 { return (uint32(v) >> (8 - bf.Length)) << bf.Offset }
	for y := 0; y < g.Height; y++ {
		row := out[y*g.Stride:]
		for x := 0; x < g.Width; x++ {
			c := img.RGBAAt(x, y)
			p := scale(c.R, g.Red) | scale(c.G, g.Green) | scale(c.B, g.Blue)
			if bpp == 2 {
				binary.LittleEndian.PutUint16(row[x*2:], uint16(p))
			} else {
				binary.LittleEndian.PutUint32(row[x*4:], p)
			}
		}
	}
	return out
}

// screenLayout places the QR code: a square on the right half (below the
// text on a portrait screen), in whole pixels per module.
func screenLayout(w, h, modules int) (qr image.Rectangle, module int) {
	side := min(w*45/100, h*80/100)
	if h > w {
		side = min(w*80/100, h*45/100)
	}
	module = max(side/modules, 1)
	side = module * modules
	x, y := w-side-w/20, (h-side)/2
	if h > w {
		x, y = (w-side)/2, h-side-h/20
	}
	return image.Rect(x, y, x+side, y+side), module
}

// renderScreen draws the screen: name, claim code, how to join, QR code.
func renderScreen(w, h int, in Info) (*image.RGBA, error) {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	ink := image.NewUniform(color.RGBA{0x1c, 0x1b, 0x1f, 0xff})
	accent := image.NewUniform(color.RGBA{0x1a, 0x5f, 0xb4, 0xff})

	textArea := img.Bounds()
	if in.URL != "" {
		if q, err := qrcode.New(in.URL, qrcode.Medium); err == nil {
			bm := q.Bitmap()
			r, m := screenLayout(w, h, len(bm))
			if h > w {
				textArea.Max.Y = r.Min.Y
			} else {
				textArea.Max.X = r.Min.X
			}
			for y, row := range bm {
				for x, on := range row {
					if on {
						draw.Draw(img, image.Rect(r.Min.X+x*m, r.Min.Y+y*m, r.Min.X+(x+1)*m, r.Min.Y+(y+1)*m), image.Black, image.Point{}, draw.Src)
					}
				}
			}
		}
	}

	unit := max(min(h, w)/24, 10)
	x := w / 20
	y := h/10 + unit
	canvas := img.SubImage(textArea).(*image.RGBA) // text never covers the code
	avail := textArea.Dx() - x - w/40
	regular, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("font: %w", err)
	}
	bold, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, fmt.Errorf("font: %w", err)
	}
	text := func(s string, size int, isBold bool, c image.Image) {
		f := regular
		if isBold {
			f = bold
		}
		for ; ; size = size * 9 / 10 { // shrink a line until it fits beside the code
			face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: float64(size), DPI: 72, Hinting: font.HintingFull})
			if err != nil {
				return // a size the font cannot take: leave the line out
			}
			d := font.Drawer{Dst: canvas, Src: c, Face: face, Dot: fixed.P(x, y)}
			if d.MeasureString(s).Ceil() <= avail || size <= 8 {
				d.DrawString(s)
				face.Close()
				break
			}
			face.Close()
		}
		y += size * 14 / 10
	}
	text(in.Name, unit*2, true, ink)
	y += unit / 2
	if in.ClaimCode != "" {
		text("Code de mise en route · Setup code", unit*3/4, false, ink)
		y += unit * 3 / 4 // the baseline of large digits, below the line above
		text(in.ClaimCode, unit*3/2, true, accent)
		y += unit / 2
	}
	if in.WiFi != "" {
		text("Wi-Fi : "+in.WiFi, unit, false, ink)
	}
	text("Ouvrez / open :", unit, false, ink)
	text(in.URL, unit, true, accent)
	for _, o := range in.Others {
		text(o, unit*3/4, false, ink)
	}
	y += unit / 2
	text("Scannez le code · Scan the code", unit*3/4, false, ink)
	text("Un avertissement s'affiche la première fois : c'est normal.", unit*2/3, false, ink)
	text("A warning shows the first time: that is expected.", unit*2/3, false, ink)
	return img, nil
}
