package io.opnp.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;

/**
 * A real S3 API server: S3Proxy (in-memory blob store, AWS v2/v4 signatures checked) in a JVM of its
 * own, started from the self-contained jar Maven copies into target/s3proxy. Clients reach it as
 * s3a:// with path-style access, the way an on-premises S3 (MinIO, Ceph) is reached.
 */
public final class S3ProxyServer implements AutoCloseable {
  public static final String ACCESS_KEY = "opnp-test";
  public static final String SECRET_KEY = "opnp-test-secret";

  private final Process process;
  private final String endpoint;
  private final Path log;

  private S3ProxyServer(Process process, String endpoint, Path log) {
    this.process = process;
    this.endpoint = endpoint;
    this.log = log;
  }

  /** Starts S3Proxy on a free port of 127.0.0.1 and waits until it accepts connections. */
  public static S3ProxyServer start(Path dir) throws IOException, InterruptedException {
    Path jar = Paths.get(System.getProperty("opnp.s3proxy.jar", "target/s3proxy/s3proxy.jar"));
    assertTrue(Files.isRegularFile(jar), "S3Proxy missing at " + jar + ": run the tests with jobs/test (Maven copies "
        + "org.gaul:s3proxy's jar-with-dependencies there in process-test-resources)");
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    String endpoint = "http://127.0.0.1:" + port;
    Files.createDirectories(dir);
    Path props = dir.resolve("s3proxy.properties");
    Files.write(props, List.of(
        "s3proxy.endpoint=" + endpoint,
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + ACCESS_KEY,
        "s3proxy.credential=" + SECRET_KEY,
        "jclouds.provider=transient",
        "jclouds.identity=" + ACCESS_KEY,
        "jclouds.credential=" + SECRET_KEY));
    Path log = dir.resolve("s3proxy.log");
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Xmx512m", "-jar", jar.toString(), "--properties", props.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    S3ProxyServer server = new S3ProxyServer(p, endpoint, log);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      if (!p.isAlive()) {
        throw new IllegalStateException("S3Proxy exited with " + p.exitValue() + ": " + Files.readString(log));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return server;
      } catch (IOException notYet) {
        if (System.nanoTime() > deadline) {
          server.close();
          throw new IllegalStateException("S3Proxy did not listen on " + endpoint + " in 90 s: " + Files.readString(log));
        }
        Thread.sleep(200);
      }
    }
  }

  public String endpoint() {
    return endpoint;
  }

  /**
   * Creates a bucket (S3A itself never creates buckets) by one signed {@code PUT /bucket}: AWS's
   * signature version 2 over plain HTTP, so that the helper needs neither AWS SDK (Hadoop 3.3 brings
   * v1, Hadoop 3.4 v2) and serves both Spark lines.
   */
  public void createBucket(String bucket) throws IOException, InterruptedException {
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC));
    String toSign = "PUT\n\n\n" + date + "\n/" + bucket;
    String signature;
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(SECRET_KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
      signature = Base64.getEncoder().encodeToString(mac.doFinal(toSign.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    HttpRequest put = HttpRequest.newBuilder(URI.create(endpoint + "/" + bucket))
        .header("Date", date)
        .header("Authorization", "AWS " + ACCESS_KEY + ":" + signature)
        .PUT(HttpRequest.BodyPublishers.noBody()).build();
    HttpResponse<String> response = HttpClient.newHttpClient().send(put, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("S3Proxy refused to create bucket " + bucket + ": HTTP "
          + response.statusCode() + " " + response.body());
    }
  }

  /** What users put in spark.hadoop.fs.s3a.* (or core-site.xml) for such an endpoint, set on {@code conf}. */
  public void configure(Configuration conf) {
    conf.set("fs.s3a.endpoint", endpoint);
    conf.set("fs.s3a.endpoint.region", "us-east-1");
    conf.set("fs.s3a.path.style.access", "true");
    conf.set("fs.s3a.connection.ssl.enabled", "false");
    conf.set("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
    conf.set("fs.s3a.access.key", ACCESS_KEY);
    conf.set("fs.s3a.secret.key", SECRET_KEY);
    conf.set("fs.s3a.attempts.maximum", "3");
    conf.set("fs.s3a.retry.limit", "3");
  }

  public String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
