// Package services is the list of programs that coopbox-init starts on the
// box, as the image builder writes it into the root file system and as
// /gokrazy/init reads it at boot. It is its own small package so that the
// init program does not carry the image builder.
package services

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Path is where the list lives in the root file system.
const Path = "/etc/coopbox/services.json"

// Service is one supervised program.
type Service struct {
	// Path is the program's absolute path: /gokrazy/NAME for gokrazy's
	// system programs, /user/NAME for the box's own.
	Path string `json:"path"`
	// Args are the command-line arguments after the program name.
	Args []string `json:"args,omitempty"`
	// Env adds NAME=value pairs to init's environment.
	Env []string `json:"env,omitempty"`
	// DontStart leaves the program stopped until started from gokrazy's
	// web interface.
	DontStart bool `json:"dontStart,omitempty"`
	// WaitForClock delays the start until ntp has set the clock.
	WaitForClock bool `json:"waitForClock,omitempty"`
	// Health is a URL on the box itself that answers 200 once the program
	// works (coopbox: https://127.0.0.1:443/healthz). After an update, the
	// new root is made permanent only when every such URL answers
	// (package testboot).
	Health string `json:"health,omitempty"`
}

// Command returns the exec.Cmd gokrazy supervises for s.
func (s Service) Command() *exec.Cmd {
	cmd := exec.Command(s.Path, s.Args...)
	cmd.Env = append(os.Environ(), s.Env...)
	return cmd
}

// Read decodes the list in file.
func Read(file string) ([]Service, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var list []Service
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("decode %s: %w", file, err)
	}
	for _, s := range list {
		if !filepath.IsAbs(s.Path) {
			return nil, fmt.Errorf("decode %s: program path %q is not absolute", file, s.Path)
		}
	}
	return list, nil
}

// Encode returns the file's contents for list.
func Encode(list []Service) ([]byte, error) {
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
