package org.maespark.testing;

import com.amazonaws.auth.AWSStaticCredentialsProvider;
import com.amazonaws.auth.BasicAWSCredentials;
import com.amazonaws.client.builder.AwsClientBuilder.EndpointConfiguration;
import com.amazonaws.services.s3.AmazonS3;
import com.amazonaws.services.s3.AmazonS3ClientBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;

/**
 * A real S3 server on loopback for the object-store tests: s3proxy with jclouds' in-memory
 * ("transient") backend, started as its own JVM from the jar the build copies to {@code
 * target/s3proxy/s3proxy.jar}, so its libraries never meet Spark's. It accepts AWS signatures (v2
 * and v4) made with {@link #ACCESS_KEY} and the secret given to {@link #start}.
 *
 * <p>Not the {@code filesystem-nio2} backend: with it, data-prep's writes failed, s3a taking a
 * folder it had made for a file ("Can't make directory ... since it is a file"). Real S3, like the
 * in-memory store, knows only keys.
 */
public final class S3Proxy implements AutoCloseable {
  public static final String ACCESS_KEY = "mae-test-access";

  /** Where the build puts s3proxy (module-relative: tests run in the module's folder). */
  public static final Path JAR = Path.of("target", "s3proxy", "s3proxy.jar");

  private final Process process;
  private final Path log;
  private final int port;

  private S3Proxy(Process process, Path log, int port) {
    this.process = process;
    this.log = log;
    this.port = port;
  }

  /**
   * Starts s3proxy under {@code work} with the given secret key and empty {@code buckets}; returns
   * once it accepts connections, or fails with its log tail within 90 s.
   */
  public static S3Proxy start(Path work, String secretKey, String... buckets) throws Exception {
    return start(work, secretKey, 1024, false, buckets);
  }

  /**
   * As {@link #start(Path, String, String...)}, with s3proxy's heap, and with {@code onDisk} the
   * objects in files under {@code work/objects} (jclouds' filesystem backend) instead of memory:
   * for objects of gigabytes, which the in-memory backend copies into ever larger arrays (it ran
   * out of a 5 GB heap assembling a 450 MB multipart upload).
   */
  public static S3Proxy start(
      Path work, String secretKey, int heapMib, boolean onDisk, String... buckets)
      throws Exception {
    if (!Files.isRegularFile(JAR)) {
      throw new IllegalStateException(
          JAR.toAbsolutePath() + " missing: the build copies it (mvn generate-test-resources)");
    }
    int port = freePort();
    Path props = work.resolve("s3proxy.properties");
    Files.writeString(
        props,
        String.join(
            "\n",
            "s3proxy.endpoint=http://127.0.0.1:" + port,
            "s3proxy.authorization=aws-v2-or-v4",
            "s3proxy.identity=" + ACCESS_KEY,
            "s3proxy.credential=" + secretKey,
            onDisk
                ? "jclouds.provider=filesystem\njclouds.filesystem.basedir="
                    + Files.createDirectories(work.resolve("objects")).toAbsolutePath()
                : "jclouds.provider=transient",
            ""),
        StandardCharsets.UTF_8);
    Path log = work.resolve("s3proxy.log");
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heapMib + "m",
                "-cp",
                JAR.toAbsolutePath().toString(),
                "org.gaul.s3proxy.Main",
                "--properties",
                props.toAbsolutePath().toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    S3Proxy s3 = new S3Proxy(p, log, port);
    s3.awaitListening(90);
    for (String b : buckets) {
      s3.client(secretKey).createBucket(b);
    }
    return s3;
  }

  private void awaitListening(int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "s3proxy exited with " + process.exitValue() + ":\n" + ChildJvm.tail(log, 30));
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        return;
      } catch (IOException e) {
        Thread.sleep(250);
      }
    }
    close();
    throw new IllegalStateException(
        "s3proxy not listening after " + seconds + " s:\n" + ChildJvm.tail(log, 30));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  /** An AWS SDK client of this server (for what s3a cannot do: buckets, raw listings). */
  public AmazonS3 client(String secretKey) {
    return AmazonS3ClientBuilder.standard()
        .withEndpointConfiguration(new EndpointConfiguration(endpoint(), "us-east-1"))
        .withPathStyleAccessEnabled(true)
        .withCredentials(
            new AWSStaticCredentialsProvider(new BasicAWSCredentials(ACCESS_KEY, secretKey)))
        .build();
  }

  public Path log() {
    return log;
  }

  /**
   * The s3a settings for this server, credentials excluded (endpoint, path-style access, plain
   * HTTP, few retries so that a refused request fails fast).
   */
  public Map<String, String> s3aSettings() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("fs.s3a.endpoint", endpoint());
    m.put("fs.s3a.path.style.access", "true");
    m.put("fs.s3a.connection.ssl.enabled", "false");
    m.put("fs.s3a.attempts.maximum", "2");
    m.put("fs.s3a.retry.limit", "2");
    m.put("fs.s3a.retry.interval", "100ms");
    return m;
  }

  /** The settings as {@code -Dspark.hadoop.<key>=<value>} JVM options of a Spark driver. */
  public List<String> sparkJvmOptions() {
    return s3aSettings().entrySet().stream()
        .map(e -> "-Dspark.hadoop." + e.getKey() + "=" + e.getValue())
        .toList();
  }

  /** A Hadoop configuration reaching this server with the given secret key. */
  public Configuration hadoopConf(String secretKey) {
    Configuration c = new Configuration();
    s3aSettings().forEach(c::set);
    c.set("fs.s3a.access.key", ACCESS_KEY);
    c.set("fs.s3a.secret.key", secretKey);
    // a cached filesystem would keep the credentials of whoever asked first
    c.setBoolean("fs.s3a.impl.disable.cache", true);
    return c;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
    }
  }
}
