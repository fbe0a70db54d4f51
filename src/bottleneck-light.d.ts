// Bottleneck's build without its Redis clustering, which @octokit/plugin-throttling itself imports: the same
// class (the package ships types for its main entry only), so the bundle carries one copy.
declare module 'bottleneck/light.js' {
  import Bottleneck from 'bottleneck';
  export default Bottleneck;
}
