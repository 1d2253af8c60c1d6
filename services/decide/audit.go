package decide

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/coopbox/coopbox/services/page"
	bolt "go.etcd.io/bbolt"
)

// Receipts (PROTOCOL.md, "Audit"): a voter's receipt code is the first 10
// base32 characters of their ballot's leaf hash. Once the vote is closed,
// the published list says whether it was counted; before, whether the box
// holds it.

// receiptStatus is the answer to "check my receipt".
type receiptStatus struct {
	Code string `json:"code"`
	// Status: counted, replaced (an open ballot its voter changed later),
	// received (the vote is not closed yet), unknown.
	Status string           `json:"status"`
	Ballot *publishedBallot `json:"ballot,omitempty"`
	Head   string           `json:"chainHead,omitempty"`
}

func normalReceipt(code string) string {
	return strings.ToUpper(strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, code))
}

func (s *Service) checkReceipt(v Vote, code string) (receiptStatus, error) {
	code = normalReceipt(code)
	out := receiptStatus{Code: code, Status: "unknown"}
	if len(code) != 10 {
		return out, nil
	}
	if v.State == StateClosed {
		res, _, err := s.st.result(v)
		if err != nil {
			return out, err
		}
		out.Head = res.ChainHead
		for i, p := range res.Published {
			if p.Receipt == code {
				out.Ballot = &res.Published[i]
				out.Status = "replaced"
				if p.Counted {
					out.Status = "counted"
				}
				return out, nil
			}
		}
		return out, nil
	}
	err := s.st.db.View(func(tx *bolt.Tx) error {
		if v.Secret {
			b, _ := subBucket(tx.Bucket(bucketDecide), false, bucketBox, []byte(v.ID), bucketBallots)
			if b == nil {
				return nil
			}
			return b.ForEach(func(k, raw []byte) error {
				if receiptCode(leafHash(v.ID, base64.RawURLEncoding.EncodeToString(k), raw)) == code {
					out.Status = "received"
				}
				return nil
			})
		}
		a, _ := assemblyBucket(tx, v.AssemblyID, false)
		log, _ := subBucket(a, false, bucketV, []byte(v.ID), bucketLog)
		if log == nil {
			return nil
		}
		return log.ForEach(func(_, raw []byte) error {
			var e logEntry
			if json.Unmarshal(raw, &e) == nil && receiptCode(e.Leaf) == code {
				out.Status = "received"
			}
			return nil
		})
	})
	return out, err
}

func (s *Service) apiReceipt(w http.ResponseWriter, r *http.Request) {
	v, err := s.st.vote(r.PathValue("vid"))
	if err == nil && v.State == StateDraft {
		err = errNotFound
	}
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	st, err := s.checkReceipt(v, r.PathValue("code"))
	if err != nil {
		s.voteErr(w, r, err)
		return
	}
	page.JSON(w, http.StatusOK, st)
}
