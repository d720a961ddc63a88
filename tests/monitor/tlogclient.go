// tlogclient: a monitor of a schakel registry's log, as a third party would
// write one with nothing but Go's standard library and golang.org/x/mod.
// It fetches the C2SP checkpoint over HTTPS (host name checked against the
// federation CA), verifies its signed note under the registry's verifier
// key (sumdb/note), reads every leaf hash through tiles that it
// authenticates against the checkpoint's root (sumdb/tlog TileHashReader),
// recomputes the root, and proves the inclusion of each record of the
// first entry bundle. Any failure exits 1 with one line on stderr.
//
//	tlogclient -url https://HOST:PORT -cacert ca.pem -vkey VKEY [-origin O]
//
// Built offline from Debian's golang-golang-x-mod-dev (GO111MODULE=off,
// GOPATH=/usr/share/gocode), see tests/e2e/monitors.sh.
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const tileHeight = 8 // C2SP tlog-tiles: 256 hashes a tile

type client struct {
	base string
	http *http.Client
}

func (c *client) get(path string) ([]byte, error) {
	resp, err := c.http.Get(c.base + "/" + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<24))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return body, nil
}

// tilePath maps x/mod's "tile/8/L/N[.p/W]" (height in the path) to the
// C2SP tlog-tiles "tile/L/N[.p/W]" (height fixed at 8); N's encoding is
// the same.
func tilePath(t tlog.Tile) string {
	return strings.Replace(t.Path(), fmt.Sprintf("tile/%d/", tileHeight), "tile/", 1)
}

// tileReader reads hash tiles from the server; tlog.TileHashReader checks
// each against the tree before any hash is used.
type tileReader struct {
	c *client
}

func (r tileReader) Height() int { return tileHeight }

func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := r.c.get(tilePath(t))
		if err != nil {
			return nil, err
		}
		if len(b) != t.W*tlog.HashSize {
			return nil, fmt.Errorf("%s: %d bytes, want %d", tilePath(t), len(b), t.W*tlog.HashSize)
		}
		out[i] = b
	}
	return out, nil
}

func (r tileReader) SaveTiles([]tlog.Tile, [][]byte) {}

// parseCheckpoint reads a C2SP checkpoint body: origin, size, base64 root
// (then optional extension lines). tlog.ParseTree wants the go.sum form.
func parseCheckpoint(text, origin string) (tlog.Tree, error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 || lines[0] == "" {
		return tlog.Tree{}, errors.New("checkpoint: too few lines")
	}
	if origin != "" && lines[0] != origin {
		return tlog.Tree{}, fmt.Errorf("checkpoint: origin %q, want %q", lines[0], origin)
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return tlog.Tree{}, errors.New("checkpoint: bad tree size")
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return tlog.Tree{}, errors.New("checkpoint: bad root hash")
	}
	var t tlog.Tree
	t.N = n
	copy(t.Hash[:], root)
	return t, nil
}

// leafHashes serves any stored hash of the tree over leaves, computed from
// the leaves alone.
func leafHashes(leaves []tlog.Hash) tlog.HashReader {
	var sub func(level int, n int64) tlog.Hash
	sub = func(level int, n int64) tlog.Hash {
		if level == 0 {
			return leaves[n]
		}
		return tlog.NodeHash(sub(level-1, 2*n), sub(level-1, 2*n+1))
	}
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			level, n := tlog.SplitStoredHashIndex(x)
			if (n+1)<<uint(level) > int64(len(leaves)) {
				return nil, errors.New("hash outside the tree")
			}
			out[i] = sub(level, n)
		}
		return out, nil
	})
}

// entryBundle splits a C2SP entry bundle: a 2-byte big-endian length, then
// that many bytes, per entry.
func entryBundle(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, errors.New("entry bundle: truncated length")
		}
		n := int(b[0])<<8 | int(b[1])
		if len(b) < 2+n {
			return nil, errors.New("entry bundle: truncated entry")
		}
		out = append(out, b[2:2+n])
		b = b[2+n:]
	}
	return out, nil
}

func run() error {
	base := flag.String("url", "", "https://HOST:PORT of the registry's tiles")
	cacert := flag.String("cacert", "", "the federation CA (PEM)")
	vkey := flag.String("vkey", "", "the registry's verifier key (checkpoint --vkey)")
	origin := flag.String("origin", "", "the log's origin (default: the key's name)")
	flag.Parse()
	if *base == "" || *vkey == "" {
		return errors.New("usage: tlogclient -url URL -cacert CA.pem -vkey VKEY")
	}
	verifier, err := note.NewVerifier(*vkey)
	if err != nil {
		return fmt.Errorf("verifier key: %v", err)
	}
	if *origin == "" {
		*origin = verifier.Name()
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS13}
	if *cacert != "" {
		pem, err := os.ReadFile(*cacert)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return errors.New("no certificate in " + *cacert)
		}
		cfg.RootCAs = pool
	}
	c := &client{base: strings.TrimSuffix(*base, "/"), http: &http.Client{
		Timeout:   20 * time.Second,
		Transport: &http.Transport{TLSClientConfig: cfg},
	}}

	raw, err := c.get("checkpoint")
	if err != nil {
		return err
	}
	n, err := note.Open(raw, note.VerifierList(verifier))
	if err != nil {
		return fmt.Errorf("checkpoint signature: %v", err)
	}
	tree, err := parseCheckpoint(n.Text, *origin)
	if err != nil {
		return err
	}
	hr := tlog.TileHashReader(tree, tileReader{c})

	// every leaf hash, then the root recomputed from them alone. That
	// check is what authenticates the level-0 tiles: x/mod v0.7.0's
	// TileHashReader checks the tiles that make up the tree hash, but its
	// check of the tiles below them starts at len(stx), a count of hashes
	// rather than of tiles, so for most tree sizes (303 leaves here) a
	// full level-0 tile is used unchecked.
	idx := make([]int64, tree.N)
	for i := range idx {
		idx[i] = tlog.StoredHashIndex(0, int64(i))
	}
	leaves, err := hr.ReadHashes(idx)
	if err != nil {
		return fmt.Errorf("tiles: %v", err)
	}
	root, err := tlog.TreeHash(tree.N, leafHashes(leaves))
	if err != nil {
		return fmt.Errorf("tree hash: %v", err)
	}
	if root != tree.Hash {
		return errors.New("the leaf hashes of the tiles do not lead to the checkpoint's root")
	}

	// the records of the first entry bundle: each hashes to its leaf and
	// is proven included under the checkpoint
	width := tree.N
	if width > 256 {
		width = 256
	}
	path := "tile/entries/000"
	if width < 256 {
		path += ".p/" + strconv.FormatInt(width, 10)
	}
	b, err := c.get(path)
	if err != nil {
		return err
	}
	records, err := entryBundle(b)
	if err != nil {
		return err
	}
	if int64(len(records)) != width {
		return fmt.Errorf("entry bundle: %d entries, want %d", len(records), width)
	}
	proven := 0
	for i, rec := range records {
		if len(rec) == 0 {
			continue // a leaf whose content the registry does not publish
		}
		h := tlog.RecordHash(rec)
		if h != leaves[i] {
			return fmt.Errorf("record %d does not hash to its leaf", i)
		}
		p, err := tlog.ProveRecord(tree.N, int64(i), hr)
		if err != nil {
			return fmt.Errorf("inclusion proof of record %d: %v", i, err)
		}
		if err := tlog.CheckRecord(p, tree.N, tree.Hash, int64(i), h); err != nil {
			return fmt.Errorf("record %d: %v", i, err)
		}
		proven++
	}
	if proven == 0 {
		return errors.New("no record to prove")
	}
	fmt.Printf("ok %s size %d root %s records proven %d\n", *origin, tree.N,
		base64.StdEncoding.EncodeToString(tree.Hash[:]), proven)
	if !bytes.HasSuffix(raw, []byte("\n")) {
		return errors.New("checkpoint: no final newline")
	}
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tlogclient:", err)
		os.Exit(1)
	}
}
