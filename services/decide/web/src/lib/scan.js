// Reading a member card's QR code with the camera: getUserMedia and jsQR,
// a frame every 150 ms, nothing sent anywhere but the code found.
import jsQR from "jsqr";

export class Scanner {
  constructor(video, onCode) {
    this.video = video;
    this.onCode = onCode;
    this.canvas = document.createElement("canvas");
    this.stream = null;
    this.timer = 0;
  }

  get running() { return this.stream !== null; }

  async start() {
    this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    this.video.srcObject = this.stream;
    this.video.hidden = false;
    await this.video.play();
    this.timer = setInterval(() => this.frame(), 150);
  }

  stop() {
    clearInterval(this.timer);
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.video.srcObject = null;
    this.video.hidden = true;
  }

  frame() {
    const v = this.video;
    if (!v.videoWidth) return;
    const w = Math.min(640, v.videoWidth), h = Math.round(v.videoHeight * (w / v.videoWidth));
    this.canvas.width = w;
    this.canvas.height = h;
    const ctx = this.canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(v, 0, 0, w, h);
    const code = jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "dontInvert" });
    if (code?.data) this.onCode(code.data);
  }
}
