package org.maespark.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files under deploy/ are read by tools this build cannot run (Docker, kubectl, Airflow, YARN):
 * these tests hold them to what can be checked here -- syntax, the JVM flags kept in step with the
 * parent pom, the wrapper's argument handling, the GPU discovery output.
 */
class DeployFilesTest {

  static final Path REPO = Path.of(System.getProperty("mae.repo.root"));
  static final Path DEPLOY = REPO.resolve("deploy");
  static final List<String> OPENS =
      List.of(System.getProperty("mae.jvm.opens").trim().split("\\s+"));

  @TempDir Path tmp;

  @Test
  void kubernetesManifestsAreValidYamlOfTheExpectedKinds() throws Exception {
    String kinds =
        python(
            "import sys, yaml\n"
                + "for f in sys.argv[1:]:\n"
                + "    print(f.rsplit('/', 1)[1], *[d['kind'] for d in yaml.safe_load_all(open(f)) if d])\n",
            DEPLOY.resolve("k8s/sparkapplication.yaml").toString(),
            DEPLOY.resolve("k8s/driver-pod-template.yaml").toString(),
            DEPLOY.resolve("k8s/executor-pod-template.yaml").toString(),
            DEPLOY.resolve("k8s/rbac.yaml").toString());
    assertEquals(
        "sparkapplication.yaml SparkApplication\n"
            + "driver-pod-template.yaml Pod\n"
            + "executor-pod-template.yaml Pod\n"
            + "rbac.yaml Namespace ServiceAccount Role RoleBinding PersistentVolumeClaim\n",
        kinds);
  }

  @Test
  void airflowDagIsValidPython() throws Exception {
    String out =
        python(
            "import ast, sys\n"
                + "tree = ast.parse(open(sys.argv[1]).read())\n"
                + "calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)"
                + " and isinstance(n.func, ast.Name)}\n"
                + "print('SparkSubmitOperator' in calls, 'BashOperator' in calls)\n",
            DEPLOY.resolve("schedule/mae_data_prep_dag.py").toString());
    assertEquals("True True\n", out);
  }

  @Test
  void shellScriptsParse() throws Exception {
    for (String script :
        List.of("bin/mae", "bin/mae-submit", "bin/openblas-core", "gpu/get-gpus-resources.sh")) {
      Path file = DEPLOY.resolve(script);
      assertTrue(Files.isExecutable(file), file + " must be executable");
      Result r = run(List.of("bash", "-n", file.toString()), Map.of());
      assertEquals(0, r.rc, file + ": " + r.out);
    }
  }

  @Test
  void openblasCoreIsPinnedToHaswellOnZen5OnlyAndNeverOverTheUsersChoice() throws Exception {
    String zen5 = cpuinfo("AuthenticAMD", 26, "fpu sse2 avx avx2 fma avx512f");
    assertEquals("Haswell\n", openblasCore(zen5, ""));
    assertEquals("", openblasCore(zen5, "SkylakeX"));
    assertEquals("", openblasCore(cpuinfo("AuthenticAMD", 25, "fpu sse2 avx avx2 fma"), ""));
    assertEquals("", openblasCore(cpuinfo("GenuineIntel", 6, "fpu sse2 avx avx2 avx512f"), ""));
    assertEquals("", openblasCore(cpuinfo("AuthenticAMD", 26, "fpu sse2 avx"), ""));
  }

  /** Two processors' worth of /proc/cpuinfo lines that bin/openblas-core reads. */
  private static String cpuinfo(String vendor, int family, String flags) {
    String cpu =
        "vendor_id\t: " + vendor + "\ncpu family\t: " + family + "\nflags\t\t: " + flags + "\n\n";
    return "processor\t: 0\n" + cpu + "processor\t: 1\n" + cpu;
  }

  /** What bin/openblas-core prints for that cpuinfo with OPENBLAS_CORETYPE as given ("": unset). */
  private String openblasCore(String cpuinfo, String coretype) throws Exception {
    Path file = Files.writeString(Files.createTempFile(tmp, "cpuinfo", ""), cpuinfo);
    Result r =
        run(
            List.of(DEPLOY.resolve("bin/openblas-core").toString(), file.toString()),
            Map.of("OPENBLAS_CORETYPE", coretype));
    assertEquals(0, r.rc, r.out);
    return r.out;
  }

  @Test
  void everyJvmFlagOfThePomIsInTheSparkSettingsAndTheOperatorManifest() throws IOException {
    String conf = Files.readString(DEPLOY.resolve("conf/mae-spark.conf"));
    String app = Files.readString(DEPLOY.resolve("k8s/sparkapplication.yaml"));
    for (String key : List.of("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions")) {
      String confLine = line(conf, "^" + Pattern.quote(key) + "\\s+(.*)$");
      String appLine = line(app, "^\\s+" + Pattern.quote(key) + ":\\s+\"(.*)\"$");
      for (String flag : OPENS) {
        assertTrue(confLine.contains(flag), "mae-spark.conf " + key + " lacks " + flag);
        assertTrue(appLine.contains(flag), "sparkapplication.yaml " + key + " lacks " + flag);
      }
    }
    assertTrue(conf.contains("org.maespark.train.NdArrayKryoRegistrator"));
    assertTrue(app.contains("org.maespark.train.NdArrayKryoRegistrator"));
  }

  @Test
  void dockerfileCopiesOnlyFilesThatExist() throws IOException {
    Matcher m =
        Pattern.compile("^COPY (?!--from)(?:--\\S+ )*(\\S+) \\S+$", Pattern.MULTILINE)
            .matcher(Files.readString(DEPLOY.resolve("docker/Dockerfile")));
    int copies = 0;
    while (m.find()) {
      String src = m.group(1);
      copies++;
      if (src.startsWith("mae-dist/target/")) {
        assertTrue(src.endsWith("-${FLAVOUR}.jar"), src);
        continue; // built by mvn package before docker build
      }
      assertTrue(Files.exists(REPO.resolve(src)), "Dockerfile copies missing " + src);
    }
    assertTrue(copies >= 3, "found " + copies + " COPY lines");
  }

  @Test
  void maeSubmitPutsSharedSettingsFirstThenUserOptionsThenJarAndCommand() throws Exception {
    Path sparkHome = tmp.resolve("spark");
    Path bin = Files.createDirectories(sparkHome.resolve("bin"));
    // A stand-in spark-submit that prints its arguments one per line.
    executable(bin.resolve("spark-submit"), "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n");
    Path extra = tmp.resolve("extra.conf");
    Files.writeString(extra, "# comment\n\nspark.executor.resource.gpu.amount   1\n");
    Result r =
        run(
            List.of(
                DEPLOY.resolve("bin/mae-submit").toString(),
                "--master",
                "yarn",
                "--conf-file",
                extra.toString(),
                "--conf",
                "spark.kryoserializer.buffer.max=512m",
                "--",
                "pretrain",
                "--resume",
                "auto"),
            Map.of("SPARK_HOME", sparkHome.toString(), "MAE_JAR", "/jars/app.jar"));
    assertEquals(0, r.rc, r.out);
    List<String> args = List.of(r.out.split("\n"));
    int kryoDefault = args.indexOf("spark.kryoserializer.buffer.max=2047m");
    int kryoUser = args.indexOf("spark.kryoserializer.buffer.max=512m");
    int jar = args.indexOf("/jars/app.jar");
    assertTrue(kryoDefault > 0 && kryoUser > kryoDefault, "user --conf comes later and wins");
    assertTrue(args.contains("spark.executor.resource.gpu.amount=1"), "--conf-file expanded");
    assertTrue(
        args.contains("spark.serializer=org.apache.spark.serializer.KryoSerializer"),
        String.join(" ", args));
    assertEquals("org.maespark.cli.Main", args.get(args.indexOf("--class") + 1));
    assertEquals(
        List.of("/jars/app.jar", "pretrain", "--resume", "auto"), args.subList(jar, args.size()));
    // One log4j2 configuration, shipped to the executors and read by the (client-mode) driver.
    Path log4j = DEPLOY.resolve("conf/log4j2.properties").toRealPath();
    assertEquals(log4j.toString(), args.get(args.indexOf("--files") + 1));
    assertTrue(
        args.stream()
            .anyMatch(
                a ->
                    a.startsWith("spark.executor.extraJavaOptions=--add-opens")
                        && a.endsWith(" -Dlog4j2.configurationFile=log4j2.properties")),
        String.join(" ", args));
    assertTrue(
        args.stream()
            .anyMatch(
                a ->
                    a.startsWith("spark.driver.extraJavaOptions=--add-opens")
                        && a.endsWith(" -Dlog4j2.configurationFile=" + log4j)),
        String.join(" ", args));
  }

  @Test
  void maeSubmitAddsTheLog4jFileToTheUsersFilesAndPointsAClusterDriverAtTheShippedCopy()
      throws Exception {
    Path sparkHome = tmp.resolve("spark2");
    Path bin = Files.createDirectories(sparkHome.resolve("bin"));
    executable(bin.resolve("spark-submit"), "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n");
    Result r =
        run(
            List.of(
                DEPLOY.resolve("bin/mae-submit").toString(),
                "--deploy-mode",
                "cluster",
                "--files",
                "a.properties",
                "--",
                "pretrain"),
            Map.of("SPARK_HOME", sparkHome.toString(), "MAE_JAR", "/jars/app.jar"));
    assertEquals(0, r.rc, r.out);
    List<String> args = List.of(r.out.split("\n"));
    Path log4j = DEPLOY.resolve("conf/log4j2.properties").toRealPath();
    assertEquals(1, args.stream().filter("--files"::equals).count(), r.out);
    assertEquals("a.properties," + log4j, args.get(args.indexOf("--files") + 1));
    assertTrue(
        args.stream()
            .anyMatch(
                a ->
                    a.startsWith("spark.driver.extraJavaOptions=")
                        && a.endsWith(" -Dlog4j2.configurationFile=log4j2.properties")),
        r.out);
  }

  @Test
  void maeSubmitWithoutSeparatorSaysWhatIsMissing() throws Exception {
    Result r =
        run(List.of(DEPLOY.resolve("bin/mae-submit").toString(), "--master", "yarn"), Map.of());
    assertEquals(1, r.rc);
    assertTrue(r.out.contains("missing '--' before the mae-spark command"), r.out);
  }

  @Test
  void gpuDiscoveryScriptReportsEveryDeviceAsSparkResourceJson() throws Exception {
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    executable(
        bin.resolve("nvidia-smi"),
        "#!/bin/sh\n[ \"$1\" = --query-gpu=index ] && printf '0\\n1\\n3\\n'\n");
    String script = DEPLOY.resolve("gpu/get-gpus-resources.sh").toString();
    Result r = run(List.of(script), Map.of("PATH", bin + ":/usr/bin:/bin"));
    assertEquals(0, r.rc, r.out);
    assertEquals("{\"name\": \"gpu\", \"addresses\": [\"0\",\"1\",\"3\"]}\n", r.out);

    Result none = run(List.of(script), Map.of("PATH", tmp.resolve("empty") + ":/usr/bin:/bin"));
    // /usr/bin may hold a real nvidia-smi on a GPU machine; only check the no-driver case here.
    if (!Files.exists(Path.of("/usr/bin/nvidia-smi"))) {
      assertEquals(1, none.rc);
      assertTrue(none.out.contains("nvidia-smi not found"), none.out);
    }
  }

  private static String line(String text, String regex) {
    Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(text);
    assertTrue(m.find(), "no line matching " + regex);
    return m.group(1);
  }

  private static void executable(Path file, String text) throws IOException {
    Files.writeString(file, text);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private String python(String code, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", "-c", code));
    cmd.addAll(List.of(args));
    Result r = run(cmd, Map.of());
    assertEquals(0, r.rc, r.out);
    return r.out;
  }

  record Result(int rc, String out) {}

  private Result run(List<String> cmd, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + cmd);
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}
