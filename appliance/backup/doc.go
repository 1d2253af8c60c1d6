// Package backup writes, checks and restores the box's backups: hot backups
// of the database and the certificate authority, taken while the box serves,
// and restores that a power cut at any moment cannot leave half done.
//
// # The backup file
//
// A backup is one gzip-compressed tar archive that holds exactly these
// regular files, in this order:
//
//	coopbox-backup.json    the manifest (Manifest, JSON): what made it, when, from which box
//	coopbox.db             the bbolt database as one read transaction saw it
//	tls/ca.crt             the box's certificate authority (PEM)
//	tls/ca.key             its private key (PEM)
//	coopbox-backup.sha256  the SHA-256 of the four files above, in sha256sum format
//
// The manifest comes first so that `tar tzvf` and anyone reading the archive
// see at once what it is. The hashes come last, in their own file, because
// the database is streamed straight from its read transaction (tx.WriteTo)
// into the archive: its hash is known only once it has been written, and
// holding it in memory or spooling it to a temporary file first would cost a
// Pi's memory or a second write to its SD card. The sha256sum format lets a
// technician check a backup by hand:
//
//	tar xzf F && sha256sum -c coopbox-backup.sha256
//
// The leaf certificate is not in the backup: the box re-issues it from the
// CA for its current name and addresses. The CA is, because the organisers'
// laptops that installed it must keep trusting the box after a restore.
//
// # Restoring
//
// A restore goes in three steps, so that power may be cut at any moment:
//
//  1. Stage unpacks the upload into dataDir/restore-staging-*/ and
//     validates everything (structure, hashes, the database, the CA pair);
//     the files are fsynced. Nothing in place has changed. A crash leaves
//     a staging folder that Finish removes.
//  2. Install keeps the current set aside in dataDir/before-restore-<stamp>/
//     (hard links, or copies where links are not possible, then fsync): the
//     current set is still in place and now also aside. It then commits with
//     one atomic rename of the staging folder to dataDir/restore-pending/
//     followed by an fsync of dataDir. Before that rename the old set is in
//     place; after it the new set is decided.
//  3. Finish moves the pending files into place one by one (removing
//     the leaf certificate first, then the CA key, the CA certificate and last
//     the database), fsyncs, and removes restore-pending/. Every step can be
//     repeated, so a crash in the middle is completed by the next call.
//
// A pending restore must therefore be finished before anything reads the data
// folder: the box calls Finish before opening the database and the
// certificates, and so does Restore.
//
// # What this package knows of the database
//
// Only that it is a bbolt file named coopbox.db. What its buckets hold, and
// which schema versions this program reads, is the caller's: every check
// takes an Inspect function, run inside a read transaction of a database
// that passed bbolt's consistency check. The box's looks at its own bucket;
// it is also where each service's bucket is to be checked, so that a
// backup is refused if any part of the box could not read it.
package backup
