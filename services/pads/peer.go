package pads

import (
	"errors"
	"fmt"

	"github.com/coopbox/coopbox/services/person"
)

// What the pads offer the box's other services, through page.Env.Peer: the
// methods take and return plain types, so that a service asserts them to an
// interface of its own and never imports this package. (The meeting writes
// its minutes into a pad with CreateFromMarkdown and reads its notes pads
// with Markdown.)

// CreateFromMarkdown makes a pad titled title from Markdown (CommonMark and
// GitHub's task lists, as an import), created by who, and returns its id:
// its page is /pads/{id}. The text is bounded as an import is.
func (s *Service) CreateFromMarkdown(who *person.Person, title, markdown string) (id string, err error) {
	if len(markdown) > maxImport {
		return "", fmt.Errorf("create pad: %d bytes of Markdown, at most %d", len(markdown), maxImport)
	}
	if title, err = cleanTitle(title); err != nil {
		return "", fmt.Errorf("create pad: %w", err)
	}
	update, err := importMarkdown([]byte(markdown))
	if err != nil {
		return "", fmt.Errorf("create pad %q: %w", title, err)
	}
	if int64(len(update)) > s.opts.Limits.MaxPad {
		return "", errors.New("create pad: the text is larger than a pad may be")
	}
	m, err := s.addPad(who, title, "", update)
	if err != nil {
		return "", err
	}
	return m.ID, nil
}

// Markdown reads pad id (or its read-only id) as Markdown, from what is
// committed: what the export answers.
func (s *Service) Markdown(id string) (string, error) {
	m, err := s.st.meta(id)
	if errors.Is(err, errNoPad) {
		if id, err = s.st.byReadID(id); err == nil {
			m, err = s.st.meta(id)
		}
	}
	if err != nil {
		return "", fmt.Errorf("read pad %s: %w", id, err)
	}
	if m.Trashed {
		return "", fmt.Errorf("read pad %s: %w", id, errNoPad)
	}
	d, err := s.loadDoc(id)
	if err != nil {
		return "", fmt.Errorf("read pad %s: %w", id, err)
	}
	return exportMarkdown(readPad(d), s.opts.Limits.maxExport())
}
