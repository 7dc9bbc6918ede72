package org.maespark.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.maespark.model.SafeTensors;

/**
 * A safetensors file read from any Hadoop filesystem, with the SHA-256 of its bytes (so that {@code
 * state.json} can say exactly which file a run started from).
 *
 * @param uri where it was read
 * @param contents its tensors and metadata
 * @param sha256 hex digest of the whole file
 */
public record WeightsFile(String uri, SafeTensors.Contents contents, String sha256) {

  public static WeightsFile read(String uri, Configuration conf) throws IOException {
    Path p = new Path(uri);
    FileSystem fs = p.getFileSystem(conf);
    if (!fs.isFile(p)) {
      throw new IOException(uri + ": no such safetensors file");
    }
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = new DigestInputStream(fs.open(p), md)) {
      SafeTensors.Contents c = SafeTensors.read(in, uri);
      in.transferTo(java.io.OutputStream.nullOutputStream()); // digest every byte
      return new WeightsFile(uri, c, HexFormat.of().formatHex(md.digest()));
    }
  }
}
