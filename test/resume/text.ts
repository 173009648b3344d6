/**
 * Answer texts for resume tests: markdown with paragraphs, a list, a code block and CJK lines,
 * built from numbered sentences so that no stretch of text repeats right after itself (such text
 * could legitimately look like a repeated tail; see shared/resume/overlap.ts).
 */
import { randomItem } from "../helpers/random.ts";

const subjects = ["The relay", "A key pool", "Each egress", "The worker", "Gemini", "A client", "The stream", "This answer"];
const verbs = ["forwards", "retries", "measures", "records", "splits", "joins", "checks", "delivers"];
const objects = ["every chunk", "the partial text", "a continuation", "the usage numbers", "one finish reason", "its heartbeat", "the seam", "a signature"];

/** A markdown answer of at least `length` characters. */
export function answerText(next: () => number, length: number): string {
  let text = "# Resume report\n\n";
  for (let step = 1; text.length < length; step++) {
    const sentence = `${randomItem(next, subjects)} ${randomItem(next, verbs)} ${randomItem(next, objects)} (step ${step}).`;
    switch (step % 9) {
      case 3:
        text += `\n\n- item ${step}: ${sentence}\n- detail ${step}, **bold ${step}**\n\n`;
        break;
      case 5:
        text += `\n\n\`\`\`ts\nconst value${step} = ${step * 7};\nreturn value${step};\n\`\`\`\n\n`;
        break;
      case 7:
        text += ` 第${step}步：模型继续输出，延续第${step - 1}步的内容。`;
        break;
      default:
        text += ` ${sentence}`;
    }
  }
  return text;
}
