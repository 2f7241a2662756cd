export default function Page(_props: { scope?: string }) { return null; }
