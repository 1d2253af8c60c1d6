module github.com/coopbox/coopbox

go 1.26.8

require (
	go.etcd.io/bbolt v1.5.0
	golang.org/x/text v0.44.0
)

require golang.org/x/sys v0.50.0 // indirect
