package org.maespark.checkpoint;

import java.util.LinkedHashMap;
import java.util.Map;

/** Software versions recorded in every checkpoint. */
public final class Versions {
  private Versions() {}

  public static Map<String, String> current() {
    Map<String, String> v = new LinkedHashMap<>();
    v.put("mae-spark", orUnknown(Versions.class.getPackage().getImplementationVersion()));
    v.put("dl4j", orUnknown(version("org.deeplearning4j.nn.graph.ComputationGraph")));
    v.put("spark", org.apache.spark.package$.MODULE$.SPARK_VERSION());
    v.put("java", System.getProperty("java.version"));
    return v;
  }

  private static String version(String cls) {
    try {
      return Class.forName(cls).getPackage().getImplementationVersion();
    } catch (ClassNotFoundException e) {
      return null;
    }
  }

  private static String orUnknown(String s) {
    return s == null ? "dev" : s;
  }
}
