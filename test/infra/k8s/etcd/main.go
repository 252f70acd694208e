// Command etcd runs a single-member etcd for the sluice Kubernetes test bed, embedded through
// go.etcd.io/etcd/server/v3/embed: plain HTTP on the loopback ports it is given, a data
// directory of the bed's own, and a clean stop on SIGTERM or SIGINT.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

func main() {
	dataDir := flag.String("data-dir", "", "directory for etcd's data (required)")
	clientPort := flag.Int("client-port", 2379, "loopback port for clients (kube-apiserver)")
	peerPort := flag.Int("peer-port", 2380, "loopback port for the (single) peer")
	flag.Parse()
	if *dataDir == "" {
		log.Fatal("etcd: --data-dir is required")
	}

	cfg := embed.NewConfig()
	cfg.Name = "sluice-test-bed"
	cfg.Dir = *dataDir
	cfg.LogLevel = "warn"
	client := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", *clientPort)}
	peer := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", *peerPort)}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = fmt.Sprintf("%s=%s", cfg.Name, peer.String())

	server, err := embed.StartEtcd(cfg)
	if err != nil {
		log.Fatalf("etcd: cannot start: %v", err)
	}
	select {
	case <-server.Server.ReadyNotify():
		fmt.Printf("etcd ready on %s\n", client.String())
	case <-time.After(60 * time.Second):
		server.Close()
		log.Fatal("etcd: not ready after 60 s")
	}

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	select {
	case sig := <-signals:
		log.Printf("etcd: %v, stopping", sig)
		server.Close()
	case err := <-server.Err():
		log.Fatalf("etcd: %v", err)
	}
}
