"use strict";(self.rspackChunkflowlab=self.rspackChunkflowlab||[]).push([[232],{475(e,r,o){var t=o(601),a=o.n(t),n=o(314),l=(o.n(n))()(a());l.push([e.id,`.flowlab-sidebar {
  display: flex;
  flex-direction: column;
  gap: 6px;
  padding: 8px;
  overflow-y: auto;
  background: var(--jp-layout-color1);
  color: var(--jp-ui-font-color1);
  font-size: var(--jp-ui-font-size1);
}

.flowlab-sidebar h3 {
  margin: 0;
}

.flowlab-query.flowlab-invalid {
  border-color: var(--jp-error-color1);
}

.flowlab-query-error {
  color: var(--jp-error-color1);
  white-space: pre-wrap;
}

.flowlab-section {
  display: flex;
  justify-content: space-between;
  align-items: center;
  font-weight: bold;
  margin-top: 6px;
}

.flowlab-sidebar ul {
  list-style: none;
  margin: 0;
  padding: 0;
}

.flowlab-search,
.flowlab-run-label {
  cursor: pointer;
}

.flowlab-search:hover,
.flowlab-run-label:hover {
  text-decoration: underline;
}

.flowlab-run-item {
  display: flex;
  align-items: flex-start;
  gap: 4px;
  padding: 3px 0;
  border-bottom: 1px solid var(--jp-border-color2);
}

.flowlab-run-label {
  flex: 1;
  overflow: hidden;
}

.flowlab-metrics {
  color: var(--jp-ui-font-color2);
}

.flowlab-empty {
  color: var(--jp-ui-font-color2);
  font-style: italic;
}

/* the colour of each status comes from the server (/flowlab/api/states, dom.showStateColours) */
.flowlab-status {
  padding: 0 6px;
  border-radius: 3px;
  background: #eee;
  color: #222;
}

.flowlab-run-detail {
  padding: 12px 20px;
  overflow: auto;
  background: var(--jp-layout-color0);
  color: var(--jp-ui-font-color1);
}

.flowlab-run-detail table {
  border-collapse: collapse;
}

.flowlab-run-detail th,
.flowlab-run-detail td {
  text-align: left;
  padding: 2px 8px;
  border-bottom: 1px solid var(--jp-border-color2);
}

.flowlab-logs pre {
  white-space: pre-wrap;
  background: var(--jp-layout-color2);
  padding: 4px;
}
`,""]),o.d(r,{},{A:l})},314(e){e.exports=function(e){var r=[];return r.toString=function(){return this.map(function(r){var o="",t=void 0!==r[5];return r[4]&&(o+="@supports (".concat(r[4],") {")),r[2]&&(o+="@media ".concat(r[2]," {")),t&&(o+="@layer".concat(r[5].length>0?" ".concat(r[5]):""," {")),o+=e(r),t&&(o+="}"),r[2]&&(o+="}"),r[4]&&(o+="}"),o}).join("")},r.i=function(e,o,t,a,n){"string"==typeof e&&(e=[[null,e,void 0]]);var l={};if(t)for(var i=0;i<this.length;i++){var c=this[i][0];null!=c&&(l[c]=!0)}for(var s=0;s<e.length;s++){var p=[].concat(e[s]);t&&l[p[0]]||(void 0!==n&&(void 0===p[5]||(p[1]="@layer".concat(p[5].length>0?" ".concat(p[5]):""," {").concat(p[1],"}")),p[5]=n),o&&(p[2]&&(p[1]="@media ".concat(p[2]," {").concat(p[1],"}")),p[2]=o),a&&(p[4]?(p[1]="@supports (".concat(p[4],") {").concat(p[1],"}"),p[4]=a):p[4]="".concat(a)),r.push(p))}},r}},601(e){e.exports=function(e){return e[1]}},72(e){var r=[];function o(e){for(var o=-1,t=0;t<r.length;t++)if(r[t].identifier===e){o=t;break}return o}function t(e,t){for(var a={},n=[],l=0;l<e.length;l++){var i=e[l],c=t.base?i[0]+t.base:i[0],s=a[c]||0,p="".concat(c," ").concat(s);a[c]=s+1;var u=o(p),d={css:i[1],media:i[2],sourceMap:i[3],supports:i[4],layer:i[5]};if(-1!==u)r[u].references++,r[u].updater(d);else{var f=function(e,r){var o=r.domAPI(r);return o.update(e),function(r){r?(r.css!==e.css||r.media!==e.media||r.sourceMap!==e.sourceMap||r.supports!==e.supports||r.layer!==e.layer)&&o.update(e=r):o.remove()}}(d,t);t.byIndex=l,r.splice(l,0,{identifier:p,updater:f,references:1})}n.push(p)}return n}e.exports=function(e,a){var n=t(e=e||[],a=a||{});return function(e){e=e||[];for(var l=0;l<n.length;l++){var i=o(n[l]);r[i].references--}for(var c=t(e,a),s=0;s<n.length;s++){var p=o(n[s]);0===r[p].references&&(r[p].updater(),r.splice(p,1))}n=c}}},659(e){var r={};e.exports=function(e,o){var t=function(e){if(void 0===r[e]){var o=document.querySelector(e);if(window.HTMLIFrameElement&&o instanceof window.HTMLIFrameElement)try{o=o.contentDocument.head}catch(e){o=null}r[e]=o}return r[e]}(e);if(!t)throw Error("Couldn't find a style target. This probably means that the value for the 'insert' parameter is invalid.");t.appendChild(o)}},540(e){e.exports=function(e){var r=document.createElement("style");return e.setAttributes(r,e.attributes),e.insert(r,e.options),r}},56(e,r,o){e.exports=function(e){var r=o.nc;r&&e.setAttribute("nonce",r)}},825(e){e.exports=function(e){if("u"<typeof document)return{update:function(){},remove:function(){}};var r=e.insertStyleElement(e);return{update:function(o){var t,a,n;t="",o.supports&&(t+="@supports (".concat(o.supports,") {")),o.media&&(t+="@media ".concat(o.media," {")),(a=void 0!==o.layer)&&(t+="@layer".concat(o.layer.length>0?" ".concat(o.layer):""," {")),t+=o.css,a&&(t+="}"),o.media&&(t+="}"),o.supports&&(t+="}"),(n=o.sourceMap)&&"u">typeof btoa&&(t+="\n/*# sourceMappingURL=data:application/json;base64,".concat(btoa(unescape(encodeURIComponent(JSON.stringify(n))))," */")),e.styleTagTransform(t,r,e.options)},remove:function(){var e;null===(e=r).parentNode||e.parentNode.removeChild(e)}}}},113(e){e.exports=function(e,r){if(r.styleSheet)r.styleSheet.cssText=e;else{for(;r.firstChild;)r.removeChild(r.firstChild);r.appendChild(document.createTextNode(e))}}},579(e,r,o){var t=o(72),a=o.n(t),n=o(825),l=o.n(n),i=o(659),c=o.n(i),s=o(56),p=o.n(s),u=o(540),d=o.n(u),f=o(113),v=o.n(f),b=o(475),h={};h.styleTagTransform=v(),h.setAttributes=p(),h.insert=c().bind(null,"head"),h.domAPI=l(),h.insertStyleElement=d(),a()(b.A,h),b.A&&b.A.locals&&b.A.locals}}]);