// Package metrics exposes Quarry's Prometheus metrics: request counts and
// latencies of the S3 API and the MAPI, objects processed by jobs, and, read
// from the metadata store at scrape time, jobs by type and state and bucket
// usage. It keeps its own registry, so nothing is global.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/quarrylabs/quarry/internal/meta"
)

// Metrics records what the services report and serves it.
type Metrics struct {
	reg          *prometheus.Registry
	s3Requests   *prometheus.CounterVec
	s3Latency    *prometheus.HistogramVec
	mapiRequests *prometheus.CounterVec
	mapiLatency  *prometheus.HistogramVec
	jobObjects   *prometheus.CounterVec
}

// New returns Metrics whose scrape also reads jobs and bucket usage from
// store.
func New(store meta.Store, log *slog.Logger) *Metrics {
	latencyBuckets := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		s3Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quarry_s3_requests_total",
			Help: "S3 API requests by operation and HTTP status (499: the client went away before it was answered).",
		}, []string{"operation", "status"}),
		s3Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "quarry_s3_request_duration_seconds",
			Help:    "S3 API request latency by operation and HTTP status.",
			Buckets: latencyBuckets,
		}, []string{"operation", "status"}),
		mapiRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quarry_mapi_requests_total",
			Help: "Management API requests by operation and HTTP status.",
		}, []string{"operation", "status"}),
		mapiLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "quarry_mapi_request_duration_seconds",
			Help:    "Management API request latency by operation and HTTP status.",
			Buckets: latencyBuckets,
		}, []string{"operation", "status"}),
		jobObjects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quarry_job_objects_total",
			Help: "Objects handled by jobs, by job type and outcome (processed or failed).",
		}, []string{"type", "outcome"}),
	}
	m.reg.MustRegister(
		m.s3Requests, m.s3Latency, m.mapiRequests, m.mapiLatency, m.jobObjects,
		&storeCollector{store: store, log: log},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// ObserveS3 records one S3 request.
func (m *Metrics) ObserveS3(op string, status int, d time.Duration) {
	s := strconv.Itoa(status)
	m.s3Requests.WithLabelValues(op, s).Inc()
	m.s3Latency.WithLabelValues(op, s).Observe(d.Seconds())
}

// ObserveMAPI records one management API request.
func (m *Metrics) ObserveMAPI(op string, status int, d time.Duration) {
	s := strconv.Itoa(status)
	m.mapiRequests.WithLabelValues(op, s).Inc()
	m.mapiLatency.WithLabelValues(op, s).Observe(d.Seconds())
}

// JobProgress records objects a job handled since its last report.
func (m *Metrics) JobProgress(jobType string, processed, failed int64) {
	if processed > 0 {
		m.jobObjects.WithLabelValues(jobType, "processed").Add(float64(processed))
	}
	if failed > 0 {
		m.jobObjects.WithLabelValues(jobType, "failed").Add(float64(failed))
	}
}

// Handler serves the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// storeCollector reads gauges from the metadata store at scrape time, so
// they are right on every node of a shared store.
type storeCollector struct {
	store meta.Store
	log   *slog.Logger
}

var (
	jobsDesc = prometheus.NewDesc("quarry_jobs",
		"Stored jobs by type and state.", []string{"type", "state"}, nil)
	bucketObjectsDesc = prometheus.NewDesc("quarry_bucket_objects",
		"Current objects in a bucket.", []string{"bucket"}, nil)
	bucketBytesDesc = prometheus.NewDesc("quarry_bucket_bytes",
		"Bytes of the current objects in a bucket.", []string{"bucket"}, nil)
	bucketVersionsDesc = prometheus.NewDesc("quarry_bucket_versions",
		"Stored versions (delete markers excluded) in a bucket.", []string{"bucket"}, nil)
	bucketVersionBytesDesc = prometheus.NewDesc("quarry_bucket_version_bytes",
		"Bytes of every stored version in a bucket.", []string{"bucket"}, nil)
)

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{jobsDesc, bucketObjectsDesc, bucketBytesDesc, bucketVersionsDesc, bucketVersionBytesDesc} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.store.View(ctx, func(tx meta.Tx) error {
		counts, err := tx.CountJobs()
		if err != nil {
			return err
		}
		for _, jc := range counts {
			ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(jc.Count), jc.Type, string(jc.State))
		}
		buckets, err := tx.ListBuckets(0)
		if err != nil {
			return err
		}
		for _, b := range buckets {
			u, err := tx.GetUsage(b.Name)
			if err != nil {
				return err
			}
			ch <- prometheus.MustNewConstMetric(bucketObjectsDesc, prometheus.GaugeValue, float64(u.Objects), b.Name)
			ch <- prometheus.MustNewConstMetric(bucketBytesDesc, prometheus.GaugeValue, float64(u.Bytes), b.Name)
			ch <- prometheus.MustNewConstMetric(bucketVersionsDesc, prometheus.GaugeValue, float64(u.Versions), b.Name)
			ch <- prometheus.MustNewConstMetric(bucketVersionBytesDesc, prometheus.GaugeValue, float64(u.VersionBytes), b.Name)
		}
		return nil
	})
	if err != nil {
		c.log.Warn("metrics: read jobs and bucket usage", "err", err)
	}
}
