package org.maespark.data;

import com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi;
import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes one image file (JPEG, PNG, or anything else ImageIO reads) to 8-bit {@link Pixels} with 1
 * (grey) or 3 (RGB) channels, in display orientation.
 *
 * <p>JPEG goes through TwelveMonkeys' ImageIO plugin: unlike the JDK reader alone it converts
 * CMYK/YCCK (Adobe APP14) to RGB and reports broken files. The JDK reader accepts a half-truncated
 * JPEG and grey-fills the rest; here its "premature end" / "missing EOI" warnings reject the file
 * as truncated. The format is sniffed from the magic bytes, never the file name (ImageNet has a PNG
 * named .JPEG). Alpha is dropped, as PIL's {@code convert("RGB")} does. Images larger than the
 * decode budget are read with integer subsampling, so memory per image stays bounded.
 *
 * <p>Not thread-safe: one instance per task.
 */
public final class ImageDecoder {
  private static final JPEGImageReaderSpi JPEG_SPI = registeredJpegSpi();

  private final int minSide;
  private final int targetSide;
  private final int oversample;
  private final long maxPixels;
  private final TurboJpeg turbo;

  /**
   * @param minSide reject when the shorter side is below this
   * @param targetSide the shorter side the image will be resized to (bounds subsampling)
   * @param oversample keep at least {@code oversample * targetSide} on the shorter side
   * @param maxPixels never decode more pixels than this (subsample further if needed)
   * @param decoder "turbojpeg" (libjpeg-turbo for grey/colour JPEGs, ImageIO for the rest) or
   *     "imageio" (TwelveMonkeys + JDK for everything); see {@link #resolve}
   */
  public ImageDecoder(int minSide, int targetSide, int oversample, long maxPixels, String decoder) {
    this.minSide = minSide;
    this.targetSide = targetSide;
    this.oversample = oversample;
    this.maxPixels = maxPixels;
    this.turbo = resolve(decoder).equals("turbojpeg") ? new TurboJpeg() : null;
  }

  public static ImageDecoder of(DataPrepConfig c) {
    return new ImageDecoder(
        c.minSide(), c.imageSize(), c.decodeOversample(), c.maxDecodePixels(), c.decoder());
  }

  /**
   * "auto" becomes "turbojpeg" when libturbojpeg loads here, else "imageio". The driver resolves it
   * once, so every executor decodes the same way (huge images differ slightly between the two:
   * DCT-domain scaling vs subsampling) and a missing library fails loudly instead of silently.
   */
  public static String resolve(String decoder) {
    if (decoder.equals("auto")) {
      return TurboJpeg.available() ? "turbojpeg" : "imageio";
    }
    if (decoder.equals("turbojpeg") && !TurboJpeg.available()) {
      throw new IllegalStateException(
          "data.decoder=turbojpeg but libturbojpeg cannot be loaded: " + TurboJpeg.loadError());
    }
    return decoder;
  }

  /** What a decode produced: pixels in display orientation, and the original size. */
  public record Decoded(Pixels pixels, int origWidth, int origHeight, String format) {}

  public Decoded decode(byte[] bytes) throws RejectException {
    if (bytes.length == 0) {
      throw new RejectException("read", "empty file (0 bytes)");
    }
    String format = sniff(bytes);
    if (turbo != null && format.equals("jpeg")) {
      Decoded d = decodeTurbo(bytes);
      if (d != null) {
        return d;
      }
    }
    List<String> warnings = new ArrayList<>();
    ImageReader reader = null;
    try (ImageInputStream in = new ByteArrayImageInputStream(bytes)) {
      reader = readerFor(format, in);
      reader.addIIOReadWarningListener((src, msg) -> warnings.add(msg));
      reader.setInput(in, true, true);
      int w = reader.getWidth(0);
      int h = reader.getHeight(0);
      checkMinSide(w, h);
      int s = subsampling(w, h);
      ImageReadParam param = reader.getDefaultReadParam();
      if (s > 1) {
        param.setSourceSubsampling(s, s, 0, 0);
      }
      BufferedImage img = reader.read(0, param);
      checkWarnings(warnings);
      Pixels px = toPixels(img);
      int orientation = format.equals("jpeg") ? ExifOrientation.read(bytes) : 1;
      boolean swap = orientation >= 5;
      return new Decoded(
          ExifOrientation.apply(px, orientation), swap ? h : w, swap ? w : h, format);
    } catch (RejectException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // Broken data surfaces as IIOException, EOFException or, from some decoders, runtime
      // exceptions (index out of bounds on a corrupt table). Any of them rejects this file only.
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      if (isTruncation(why) || e instanceof java.io.EOFException || hasTruncation(warnings)) {
        throw new RejectException("truncated", format + ": " + why + warningText(warnings));
      }
      throw new RejectException("decode", format + ": " + why + warningText(warnings));
    } finally {
      if (reader != null) {
        reader.dispose();
      }
    }
  }

  /** Null when this JPEG is for ImageIO (CMYK/YCCK, or beyond what 1/8 scaling bounds). */
  private Decoded decodeTurbo(byte[] bytes) throws RejectException {
    TurboJpeg.Header h = turbo.header(bytes);
    if (TurboJpeg.isCmyk(h)) {
      return null;
    }
    checkMinSide(h.width(), h.height());
    int s = subsampling(h.width(), h.height());
    int denom = s >= 8 ? 8 : s >= 4 ? 4 : s >= 2 ? 2 : 1;
    if ((double) h.width() / denom * h.height() / denom > maxPixels) {
      return null;
    }
    Pixels px = turbo.decode(bytes, h, denom);
    int orientation = ExifOrientation.read(bytes);
    boolean swap = orientation >= 5;
    return new Decoded(
        ExifOrientation.apply(px, orientation),
        swap ? h.height() : h.width(),
        swap ? h.width() : h.height(),
        "jpeg");
  }

  private void checkMinSide(int w, int h) throws RejectException {
    if (Math.min(w, h) < minSide) {
      throw new RejectException(
          "size", "image is " + w + "x" + h + ", shorter side below data.min_side=" + minSide);
    }
  }

  /** Integer subsampling factor: as large as the target allows, at least what the cap needs. */
  int subsampling(int w, int h) {
    int byTarget = Math.max(1, Math.min(w, h) / (oversample * targetSide));
    int byCap = (int) Math.ceil(Math.sqrt((double) w * h / maxPixels));
    return Math.max(byTarget, Math.max(1, byCap));
  }

  static String sniff(byte[] b) {
    if (b.length >= 3 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff) {
      return "jpeg";
    }
    if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
      return "png";
    }
    return "other";
  }

  private static ImageReader readerFor(String format, ImageInputStream in)
      throws IOException, RejectException {
    if (format.equals("jpeg")) {
      return JPEG_SPI.createReaderInstance();
    }
    Iterator<ImageReader> it =
        format.equals("png")
            ? ImageIO.getImageReadersByFormatName("png")
            : ImageIO.getImageReaders(in);
    if (!it.hasNext()) {
      throw new RejectException("decode", "not a JPEG, PNG or other ImageIO-readable image");
    }
    return it.next();
  }

  private static void checkWarnings(List<String> warnings) throws RejectException {
    if (hasTruncation(warnings)) {
      throw new RejectException("truncated", "file ends early" + warningText(warnings));
    }
    for (String w : warnings) {
      String m = w.toLowerCase(Locale.ROOT);
      // "extraneous bytes before marker" is harmless (ImageNet has such files, PIL reads them);
      // any other corrupt-data report means garbage pixels.
      if (m.contains("corrupt") && !m.contains("extraneous bytes")) {
        throw new RejectException("decode", "corrupt JPEG data" + warningText(warnings));
      }
    }
  }

  private static boolean hasTruncation(List<String> warnings) {
    return warnings.stream().anyMatch(ImageDecoder::isTruncation);
  }

  private static boolean isTruncation(String msg) {
    String m = msg.toLowerCase(Locale.ROOT);
    return m.contains("premature end") || m.contains("truncated") || m.contains("missing eoi");
  }

  private static String warningText(List<String> warnings) {
    return warnings.isEmpty()
        ? ""
        : " (warnings: " + String.join("; ", new java.util.TreeSet<>(warnings)) + ")";
  }

  /** 8-bit grey or RGB pixels of {@code img}; alpha dropped, other colour spaces via sRGB. */
  static Pixels toPixels(BufferedImage img) {
    int w = img.getWidth();
    int h = img.getHeight();
    Raster r = img.getRaster();
    int csType = img.getColorModel().getColorSpace().getType();
    boolean grey = csType == ColorSpace.TYPE_GRAY;
    int channels = grey ? 1 : 3;
    if ((grey || csType == ColorSpace.TYPE_RGB)
        && r.getDataBuffer() instanceof DataBufferByte db
        && r.getSampleModel() instanceof ComponentSampleModel sm
        && db.getNumBanks() == 1
        && r.getSampleModelTranslateX() == 0
        && r.getSampleModelTranslateY() == 0) {
      // Fast path: interleaved bytes (3BYTE_BGR, 4BYTE_ABGR, BYTE_GRAY, grey+alpha).
      byte[] src = db.getData();
      int[] off = sm.getBandOffsets();
      int ps = sm.getPixelStride();
      int ss = sm.getScanlineStride();
      byte[] out = new byte[w * h * channels];
      int o = 0;
      for (int y = 0; y < h; y++) {
        int row = db.getOffset() + y * ss;
        for (int x = 0; x < w; x++) {
          int p = row + x * ps;
          for (int c = 0; c < channels; c++) {
            out[o++] = src[p + off[c]];
          }
        }
      }
      return new Pixels(out, w, h, channels);
    }
    byte[] out = new byte[w * h * channels];
    if (grey) {
      // 16-bit grey and the like: scale the raw sample, never through getRGB (which applies a
      // linear-to-sRGB curve to grey and brightens it).
      int bits = img.getColorModel().getComponentSize(0);
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int v = r.getSample(x, y, 0);
          out[y * w + x] = (byte) (bits > 8 ? v >> (bits - 8) : v * 255 / ((1 << bits) - 1));
        }
      }
      return new Pixels(out, w, h, 1);
    }
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      img.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int p = (y * w + x) * 3;
        out[p] = (byte) (row[x] >> 16);
        out[p + 1] = (byte) (row[x] >> 8);
        out[p + 2] = (byte) row[x];
      }
    }
    return new Pixels(out, w, h, 3);
  }

  /**
   * TwelveMonkeys' reader delegates the entropy decoding to the JDK's JPEG reader, which it finds
   * when registered. Registering explicitly (instead of relying on ImageIO's classpath scan) also
   * works when the plugin sits in a Spark application jar loaded by a child class loader.
   */
  private static JPEGImageReaderSpi registeredJpegSpi() {
    JPEGImageReaderSpi spi = new JPEGImageReaderSpi();
    IIORegistry.getDefaultInstance().registerServiceProvider(spi);
    JPEGImageReaderSpi registered =
        IIORegistry.getDefaultInstance().getServiceProviderByClass(JPEGImageReaderSpi.class);
    return registered != null ? registered : spi;
  }
}
