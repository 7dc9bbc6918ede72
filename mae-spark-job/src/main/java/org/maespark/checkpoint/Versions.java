package org.maespark.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Software versions recorded in every checkpoint. Read from sources that survive the shaded
 * application jar: each library's own version API (Spark, Scala, Hadoop, which the cluster
 * provides), and otherwise the {@code META-INF/maven/<group>/<artifact>/pom.properties} every Maven
 * artifact carries and the shade plugin keeps. (The jar's manifest, or a package's implementation
 * version, names the application jar itself once shaded.)
 */
public final class Versions {
  /**
   * What a library's version is recorded as when it cannot be read (e.g. classes not yet jarred).
   */
  public static final String UNKNOWN = "dev";

  private Versions() {}

  public static Map<String, String> current() {
    Map<String, String> v = new LinkedHashMap<>();
    v.put("mae-spark", maven("org.maespark", "mae-spark-job"));
    v.put("dl4j", maven("org.deeplearning4j", "deeplearning4j-nn"));
    v.put("dl4j-spark", maven("org.deeplearning4j", "dl4j-spark_2.12"));
    v.put("nd4j", maven("org.nd4j", "nd4j-api"));
    v.put("spark", org.apache.spark.package$.MODULE$.SPARK_VERSION());
    v.put("scala", scala.util.Properties.versionNumberString());
    v.put("hadoop", org.apache.hadoop.util.VersionInfo.getVersion());
    v.put("java", System.getProperty("java.version"));
    return v;
  }

  /**
   * The version in an artifact's {@code pom.properties} on the classpath, else {@link #UNKNOWN}.
   */
  static String maven(String group, String artifact) {
    String name = "META-INF/maven/" + group + "/" + artifact + "/pom.properties";
    try (InputStream in = Versions.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        return UNKNOWN; // our own modules run from target/classes (tests, the IDE)
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", UNKNOWN);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + name, e);
    }
  }
}
