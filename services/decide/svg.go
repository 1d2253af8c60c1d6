package decide

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/coopbox/coopbox/services/decide/tally"
)

// Charts drawn on the server as SVG, so a results page needs no script and
// prints as it shows. Every chart has a title and a text alternative; the
// numbers are also in the page's tables.

var palette = []string{"#1f5f99", "#b8521a", "#3c7d3c", "#7a3d8f", "#9a7b00", "#2a7f83", "#a23a55", "#555555"}

func esc(s string) string { return template.HTMLEscapeString(s) }

type svgBuf struct{ strings.Builder }

func (b *svgBuf) f(format string, args ...any) { fmt.Fprintf(&b.Builder, format, args...) }

func svgOpen(b *svgBuf, w, h int, label string) {
	b.f(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-label="%s" font-family="sans-serif" font-size="14">`, w, h, esc(label))
	b.f(`<title>%s</title>`, esc(label))
}

// barsSVG draws one horizontal bar per option, in ranking order.
func barsSVG(label string, names []string, values []int64, order []int) template.HTML {
	var max int64 = 1
	for _, v := range values {
		max = maxI(max, v)
	}
	const rowH, labelW, barW = 34, 220, 440
	var b svgBuf
	svgOpen(&b, labelW+barW+90, rowH*len(order)+10, label)
	for row, o := range order {
		y := 5 + row*rowH
		w := int(float64(barW) * float64(values[o]) / float64(max))
		b.f(`<text x="%d" y="%d" text-anchor="end">%s</text>`, labelW-8, y+21, esc(clip(names[o], 28)))
		b.f(`<rect x="%d" y="%d" width="%d" height="26" fill="%s"/>`, labelW, y+2, w, palette[row%len(palette)])
		b.f(`<text x="%d" y="%d">%d</text>`, labelW+w+6, y+21, values[o])
	}
	b.f(`</svg>`)
	return template.HTML(b.String())
}

// meritSVG draws majority judgment's merit profile: one stacked bar per
// option, grades worst (left) to best, with the median line.
func meritSVG(label string, r *tally.Result, grades []string) template.HTML {
	const rowH, labelW, barW = 34, 220, 480
	order := flat(r.Ranking)
	var b svgBuf
	legendH := 24 * ((len(grades) + 3) / 4)
	svgOpen(&b, labelW+barW+20, rowH*len(order)+legendH+20, label)
	colors := gradeColors(len(grades))
	for row, o := range order {
		y := 5 + row*rowH
		var total int64
		for _, w := range r.Profiles[o] {
			total += w
		}
		b.f(`<text x="%d" y="%d" text-anchor="end">%s</text>`, labelW-8, y+21, esc(clip(r.Options[o], 28)))
		x := float64(labelW)
		for g, w := range r.Profiles[o] {
			if total == 0 || w == 0 {
				continue
			}
			ww := float64(barW) * float64(w) / float64(total)
			b.f(`<rect x="%.1f" y="%d" width="%.1f" height="26" fill="%s"><title>%s: %d</title></rect>`, x, y+2, ww, colors[g], esc(grades[g]), w)
			x += ww
		}
	}
	mid := labelW + barW/2
	b.f(`<line x1="%d" x2="%d" y1="0" y2="%d" stroke="#000" stroke-dasharray="4 3"/>`, mid, mid, rowH*len(order)+5)
	for g, name := range grades {
		x := 10 + (g%4)*170
		y := rowH*len(order) + 14 + (g/4)*24
		b.f(`<rect x="%d" y="%d" width="14" height="14" fill="%s"/><text x="%d" y="%d">%s</text>`, x, y, colors[g], x+20, y+12, esc(clip(name, 18)))
	}
	b.f(`</svg>`)
	return template.HTML(b.String())
}

// gradeColors goes from red (worst) to green (best).
func gradeColors(n int) []string {
	out := make([]string, n)
	for i := range out {
		t := 0.0
		if n > 1 {
			t = float64(i) / float64(n-1)
		}
		out[i] = fmt.Sprintf("#%02x%02x%02x", int(190-150*t), int(60+90*t), int(50+20*t))
	}
	return out
}

// matrixSVG draws a pairwise matrix (Schulze's d or p): the cell of row a,
// column b is the weight preferring a to b, shaded where a wins.
func matrixSVG(label string, names []string, m [][]int64) template.HTML {
	n := len(names)
	const cell, labelW = 56, 180
	var b svgBuf
	svgOpen(&b, labelW+cell*n+10, 30+cell*n+10, label)
	for j := range n {
		b.f(`<text x="%d" y="20" text-anchor="middle">%s</text>`, labelW+j*cell+cell/2, esc(clip(names[j], 6)))
	}
	for i := range n {
		y := 30 + i*cell
		b.f(`<text x="%d" y="%d" text-anchor="end">%s</text>`, labelW-8, y+cell/2+5, esc(clip(names[i], 22)))
		for j := range n {
			fill := "#eeeeee"
			switch {
			case i == j:
				fill = "#ffffff"
			case m[i][j] > m[j][i]:
				fill = "#bcd7ee"
			case m[i][j] < m[j][i]:
				fill = "#f4d3c2"
			}
			b.f(`<rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#888"/>`, labelW+j*cell, y, cell, cell, fill)
			if i != j {
				b.f(`<text x="%d" y="%d" text-anchor="middle">%d</text>`, labelW+j*cell+cell/2, y+cell/2+5, m[i][j])
			}
		}
	}
	b.f(`</svg>`)
	return template.HTML(b.String())
}

// roundsSVG draws instant runoff's rounds: one group of bars per round.
func roundsSVG(label string, r *tally.Result) template.HTML {
	n := len(r.Options)
	var max int64 = 1
	for _, rd := range r.Rounds {
		for _, c := range rd.Counts {
			max = maxI(max, c)
		}
	}
	const barH, labelW, barW = 18, 200, 420
	roundH := barH*n + 34
	var b svgBuf
	svgOpen(&b, labelW+barW+80, roundH*len(r.Rounds)+10, label)
	for i, rd := range r.Rounds {
		y0 := 5 + i*roundH
		b.f(`<text x="4" y="%d" font-weight="bold">%d</text>`, y0+16, i+1)
		for o := range n {
			y := y0 + 22 + o*barH
			w := int(float64(barW) * float64(rd.Counts[o]) / float64(max))
			fill := palette[o%len(palette)]
			if o == rd.Eliminated {
				fill = "#aaaaaa"
			}
			b.f(`<text x="%d" y="%d" text-anchor="end" font-size="12">%s</text>`, labelW-6, y+13, esc(clip(r.Options[o], 26)))
			b.f(`<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`, labelW, y+2, w, barH-4, fill)
			mark := ""
			if o == rd.Elected {
				mark = " ✔"
			} else if o == rd.Eliminated {
				mark = " ✘"
			}
			b.f(`<text x="%d" y="%d" font-size="12">%d%s</text>`, labelW+w+4, y+13, rd.Counts[o], mark)
		}
	}
	b.f(`</svg>`)
	return template.HTML(b.String())
}

// graphSVG draws the delegation graph: delegators on the left, the voters
// who cast their weight on the right, one line per chain.
func graphSVG(label string, wr *weightsReport) template.HTML {
	if wr == nil || len(wr.Chains) == 0 {
		return ""
	}
	var voters []string
	idx := map[string]int{}
	for _, c := range wr.Chains {
		end := c.CastBy
		if end == "" {
			end = "—"
		}
		if _, ok := idx[end]; !ok {
			idx[end] = len(voters)
			voters = append(voters, end)
		}
	}
	const rowH = 28
	h := max(len(wr.Chains), len(voters))*rowH + 10
	var b svgBuf
	svgOpen(&b, 640, h, label)
	for i, c := range wr.Chains {
		y := 5 + i*rowH + 18
		vy := 5 + idx[cmpOr(c.CastBy, "—")]*rowH + 18
		color := "#1f5f99"
		if c.CastBy == "" {
			color = "#b8521a"
		}
		b.f(`<text x="200" y="%d" text-anchor="end">%s</text>`, y, esc(clip(strings.Join(c.Chain[:len(c.Chain)-1], " → "), 30)))
		b.f(`<line x1="206" y1="%d" x2="424" y2="%d" stroke="%s" stroke-width="2"/>`, y-5, vy-5, color)
	}
	for i, v := range voters {
		b.f(`<text x="430" y="%d">%s</text>`, 5+i*rowH+18, esc(clip(v, 24)))
	}
	b.f(`</svg>`)
	return template.HTML(b.String())
}

func cmpOr(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func flat(groups [][]int) []int {
	var out []int
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func maxI(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}
