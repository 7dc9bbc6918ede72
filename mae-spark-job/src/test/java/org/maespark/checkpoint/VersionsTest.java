package org.maespark.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The recorded versions are the libraries' own, checked against an independent source: the Maven
 * file name of the jar each library's classes are loaded from (e.g. {@code
 * deeplearning4j-nn-1.0.0-M2.1.jar}).
 */
class VersionsTest {
  private static final Pattern JAR_VERSION =
      Pattern.compile("-(\\d+\\.\\d+\\.\\d+(?:-[\\w.]+)?)\\.jar$");

  /** The version in the file name of the jar {@code className} is loaded from. */
  static String jarVersion(String className)
      throws ReflectiveOperationException, URISyntaxException {
    Path jar =
        Path.of(
            Class.forName(className).getProtectionDomain().getCodeSource().getLocation().toURI());
    Matcher m = JAR_VERSION.matcher(jar.getFileName().toString());
    assertTrue(m.find(), jar.toString());
    return m.group(1);
  }

  @Test
  void librariesReportTheirOwnVersions() throws Exception {
    Map<String, String> v = Versions.current();
    assertEquals(jarVersion("org.deeplearning4j.nn.graph.ComputationGraph"), v.get("dl4j"));
    assertEquals(
        jarVersion("org.deeplearning4j.spark.impl.graph.SparkComputationGraph"),
        v.get("dl4j-spark"));
    assertEquals(jarVersion("org.nd4j.linalg.factory.Nd4j"), v.get("nd4j"));
    assertEquals(jarVersion("org.apache.spark.SparkContext"), v.get("spark"));
    assertEquals(jarVersion("scala.Option"), v.get("scala"));
    assertEquals(jarVersion("org.apache.hadoop.util.VersionInfo"), v.get("hadoop"));
    assertEquals(System.getProperty("java.version"), v.get("java"));
  }

  @Test
  void ourOwnModuleRunFromItsClassesFolderIsDev() {
    // tests run mae-spark-job from target/classes, which has no pom.properties; the jar has one
    assertEquals(Versions.UNKNOWN, Versions.current().get("mae-spark"));
    assertEquals(Versions.UNKNOWN, Versions.maven("org.maespark", "no-such-artifact"));
  }
}
