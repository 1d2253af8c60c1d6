package decide

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/coopbox/coopbox/services/page"
	bolt "go.etcd.io/bbolt"
)

// The roll's storage, beside the members bucket of store.go:
//
//	decide/a/<assembly id>/
//	    members/<member id>          JSON Member (store.go)
//	    present/<member id>          "1": the member is checked in
//	    proxies/<giver id>           the carrier's member id: a "pouvoir",
//	                                 counting or not (liquid.Roll decides)
//	    cards/<member id>            SHA-256 of the member's current link
//	                                 token, while one is issued
//	    browsers/<SHA-256 of secret> JSON boundBrowser: a browser bound to a
//	                                 member through their link
//	decide/links/<SHA-256 of token>  JSON memberLink: where a member link
//	                                 leads (the token alone names no assembly)
//
// No token or browser secret is stored, only their hashes: a copy of the
// database opens no member link. A link is marked used, not deleted, when a
// browser binds through it, so the desk can still check its card in; a
// re-issue deletes the link, the card entry and every browser bound to the
// member, and bumps Member.LinkGen, which every lookup compares as well.
//
// The roll's sub-buckets are created with the assembly (createAssembly); the
// links bucket on the first link issued, so that reads find it absent and
// answer "no such link".

var (
	bucketPresent  = []byte("present")
	bucketProxies  = []byte("proxies")
	bucketCards    = []byte("cards")
	bucketBrowsers = []byte("browsers")
	bucketLinks    = []byte("links")

	rollBuckets = [][]byte{bucketMembers, bucketPresent, bucketProxies, bucketCards, bucketBrowsers}
	presentMark = []byte("1")
)

// memberLink is what decide/links holds for a token's hash.
type memberLink struct {
	Assembly string `json:"a"`
	Member   string `json:"m"`
	Gen      int    `json:"gen"`
	Used     bool   `json:"used,omitempty"`
}

// boundBrowser is what decide/a/<id>/browsers holds for a secret's hash.
type boundBrowser struct {
	Member string `json:"m"`
	Gen    int    `json:"gen"`
}

func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// rollData is an assembly's roll as stored: what rollState rebuilds a
// liquid.Roll from.
type rollData struct {
	assembly Assembly
	members  []Member // in key order: stable across restarts
	present  map[string]bool
	proxies  [][2]string // giver, carrier
}

// rollBucket returns the sub-bucket name of assembly a's bucket, creating
// it in a writable transaction if an older assembly lacks it.
func rollBucket(a *bolt.Bucket, name []byte) (*bolt.Bucket, error) {
	if b := a.Bucket(name); b != nil {
		return b, nil
	}
	if !a.Writable() {
		return nil, nil
	}
	return a.CreateBucket(name)
}

// createAssembly stores a new assembly and its empty roll.
func (st *store) createAssembly(a Assembly) error {
	return st.db.Update(func(tx *bolt.Tx) error {
		if err := putJSON(tx.Bucket(bucketDecide).Bucket(bucketAssemblies), []byte(a.ID), a); err != nil {
			return err
		}
		b, err := assemblyBucket(tx, a.ID, true)
		if err != nil {
			return err
		}
		for _, name := range rollBuckets {
			if _, err := b.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
}

// loadRoll reads an assembly and its roll in one transaction.
func (st *store) loadRoll(id string) (rollData, error) {
	d := rollData{present: map[string]bool{}}
	err := st.db.View(func(tx *bolt.Tx) error {
		if err := getJSON(tx.Bucket(bucketDecide).Bucket(bucketAssemblies), []byte(id), &d.assembly); err != nil {
			return err
		}
		a, _ := assemblyBucket(tx, id, false)
		if a == nil {
			return errNotFound
		}
		if err := a.Bucket(bucketMembers).ForEach(func(k, v []byte) error {
			var m Member
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("member %s: %w", k, err)
			}
			d.members = append(d.members, m)
			return nil
		}); err != nil {
			return err
		}
		if b := a.Bucket(bucketPresent); b != nil {
			b.ForEach(func(k, _ []byte) error { d.present[string(k)] = true; return nil })
		}
		if b := a.Bucket(bucketProxies); b != nil {
			b.ForEach(func(k, v []byte) error { d.proxies = append(d.proxies, [2]string{string(k), string(v)}); return nil })
		}
		return nil
	})
	return d, err
}

// rollTx runs fn in a writable transaction on assembly id's bucket.
func (st *store) rollTx(id string, fn func(a *bolt.Bucket) error) error {
	return st.db.Update(func(tx *bolt.Tx) error {
		a, _ := assemblyBucket(tx, id, false)
		if a == nil {
			return errNotFound
		}
		return fn(a)
	})
}

// putRules stores an assembly's new rules.
func putRules(tx *bolt.Tx, id string, rules Rules) error {
	b := tx.Bucket(bucketDecide).Bucket(bucketAssemblies)
	var a Assembly
	if err := getJSON(b, []byte(id), &a); err != nil {
		return err
	}
	a.Rules = rules
	return putJSON(b, []byte(id), a)
}

// setPresent stores a check-in (or check-out) in a.
func setPresent(a *bolt.Bucket, member string, present bool) error {
	b, err := rollBucket(a, bucketPresent)
	if err != nil {
		return err
	}
	if present {
		return b.Put([]byte(member), presentMark)
	}
	return b.Delete([]byte(member))
}

// setProxy stores (carrier non-empty) or deletes giver's proxy in a.
func setProxy(a *bolt.Bucket, giver, carrier string) error {
	b, err := rollBucket(a, bucketProxies)
	if err != nil {
		return err
	}
	if carrier == "" {
		return b.Delete([]byte(giver))
	}
	return b.Put([]byte(giver), []byte(carrier))
}

// deleteMember removes a member and everything of theirs from a: presence,
// the proxies they gave or carry, their link and bound browsers.
func deleteMember(tx *bolt.Tx, a *bolt.Bucket, id string) error {
	if a.Bucket(bucketMembers).Get([]byte(id)) == nil {
		return errNotFound
	}
	if err := a.Bucket(bucketMembers).Delete([]byte(id)); err != nil {
		return err
	}
	if err := setPresent(a, id, false); err != nil {
		return err
	}
	proxies, err := rollBucket(a, bucketProxies)
	if err != nil {
		return err
	}
	var drop [][]byte
	proxies.ForEach(func(k, v []byte) error {
		if string(k) == id || string(v) == id {
			drop = append(drop, bytes.Clone(k))
		}
		return nil
	})
	for _, k := range drop {
		if err := proxies.Delete(k); err != nil {
			return err
		}
	}
	return revokeLinks(tx, a, id)
}

// revokeLinks deletes member id's link and every browser bound through it.
func revokeLinks(tx *bolt.Tx, a *bolt.Bucket, id string) error {
	cards, err := rollBucket(a, bucketCards)
	if err != nil {
		return err
	}
	if h := cards.Get([]byte(id)); h != nil {
		if links := tx.Bucket(bucketDecide).Bucket(bucketLinks); links != nil {
			if err := links.Delete(h); err != nil {
				return err
			}
		}
		if err := cards.Delete([]byte(id)); err != nil {
			return err
		}
	}
	browsers, err := rollBucket(a, bucketBrowsers)
	if err != nil {
		return err
	}
	var drop [][]byte
	browsers.ForEach(func(k, v []byte) error {
		var b boundBrowser
		if json.Unmarshal(v, &b) != nil || b.Member == id {
			drop = append(drop, bytes.Clone(k))
		}
		return nil
	})
	for _, k := range drop {
		if err := browsers.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// issueLink revokes member id's link and bound browsers, bumps LinkGen and
// stores the hash of a new token, which it returns.
func issueLink(tx *bolt.Tx, assemblyID string, a *bolt.Bucket, id string) (string, error) {
	var m Member
	if err := getJSON(a.Bucket(bucketMembers), []byte(id), &m); err != nil {
		return "", err
	}
	if err := revokeLinks(tx, a, id); err != nil {
		return "", err
	}
	m.LinkGen++
	if err := putJSON(a.Bucket(bucketMembers), []byte(id), m); err != nil {
		return "", err
	}
	links, err := tx.Bucket(bucketDecide).CreateBucketIfNotExists(bucketLinks)
	if err != nil {
		return "", err
	}
	token := page.NewID(16)
	h := hashSecret(token)
	if err := putJSON(links, h, memberLink{Assembly: assemblyID, Member: id, Gen: m.LinkGen}); err != nil {
		return "", err
	}
	cards, err := rollBucket(a, bucketCards)
	if err != nil {
		return "", err
	}
	return token, cards.Put([]byte(id), h)
}

// linkState says, per member id, whether a link is issued and how many
// browsers are bound: what the desk shows before a re-issue.
func (st *store) linkStates(assemblyID string) (issued map[string]bool, bound map[string]int, err error) {
	issued, bound = map[string]bool{}, map[string]int{}
	err = st.db.View(func(tx *bolt.Tx) error {
		a, _ := assemblyBucket(tx, assemblyID, false)
		if a == nil {
			return errNotFound
		}
		if b := a.Bucket(bucketCards); b != nil {
			b.ForEach(func(k, _ []byte) error { issued[string(k)] = true; return nil })
		}
		if b := a.Bucket(bucketBrowsers); b != nil {
			b.ForEach(func(_, v []byte) error {
				var bb boundBrowser
				if json.Unmarshal(v, &bb) == nil {
					bound[bb.Member]++
				}
				return nil
			})
		}
		return nil
	})
	return issued, bound, err
}

// lookupLink finds the link of a token and its member, checking that the
// link is the member's current one. Used links are returned too (the desk
// checks in with a card whose owner already bound their phone).
func lookupLink(tx *bolt.Tx, token string) (memberLink, Member, error) {
	var l memberLink
	links := tx.Bucket(bucketDecide).Bucket(bucketLinks)
	if err := getJSON(links, hashSecret(token), &l); err != nil {
		return l, Member{}, errNotFound
	}
	a, _ := assemblyBucket(tx, l.Assembly, false)
	if a == nil {
		return l, Member{}, errNotFound
	}
	var m Member
	if err := getJSON(a.Bucket(bucketMembers), []byte(l.Member), &m); err != nil || m.LinkGen != l.Gen {
		return l, Member{}, errNotFound
	}
	return l, m, nil
}

// bindBrowser spends the link of token: it is marked used and a browser
// secret is stored (hashed) for its member. It returns the link and the
// secret; errLinkUsed if the link was opened before.
func (st *store) bindBrowser(token string) (memberLink, Member, string, error) {
	var l memberLink
	var m Member
	var secret string
	err := st.db.Update(func(tx *bolt.Tx) error {
		var err error
		if l, m, err = lookupLink(tx, token); err != nil {
			return err
		}
		if l.Used {
			return errLinkUsed
		}
		l.Used = true
		if err := putJSON(tx.Bucket(bucketDecide).Bucket(bucketLinks), hashSecret(token), l); err != nil {
			return err
		}
		a, _ := assemblyBucket(tx, l.Assembly, false)
		browsers, err := rollBucket(a, bucketBrowsers)
		if err != nil {
			return err
		}
		secret = page.NewID(16)
		return putJSON(browsers, hashSecret(secret), boundBrowser{Member: m.ID, Gen: m.LinkGen})
	})
	return l, m, secret, err
}

// peekLink returns a token's link and member without spending it.
func (st *store) peekLink(token string) (memberLink, Member, error) {
	var l memberLink
	var m Member
	err := st.db.View(func(tx *bolt.Tx) error {
		var err error
		l, m, err = lookupLink(tx, token)
		return err
	})
	return l, m, err
}

// boundMember returns the member a browser secret is bound to in an
// assembly, if the binding is still current.
func (st *store) boundMember(assemblyID, secret string) (Member, error) {
	var m Member
	err := st.db.View(func(tx *bolt.Tx) error {
		a, _ := assemblyBucket(tx, assemblyID, false)
		if a == nil {
			return errNotFound
		}
		var bb boundBrowser
		if err := getJSON(a.Bucket(bucketBrowsers), hashSecret(secret), &bb); err != nil {
			return err
		}
		if err := getJSON(a.Bucket(bucketMembers), []byte(bb.Member), &m); err != nil {
			return err
		}
		if m.LinkGen != bb.Gen {
			return errNotFound
		}
		return nil
	})
	return m, err
}
