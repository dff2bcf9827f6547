"use strict";(self.rspackChunkflowlab=self.rspackChunkflowlab||[]).push([[232],{475(e,o,r){var t=r(601),a=r.n(t),n=r(314),l=(r.n(n))()(a());l.push([e.id,`.flowlab-sidebar {
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

.flowlab-mine {
  display: inline-flex;
  align-items: center;
  gap: 3px;
  font-weight: normal;
  cursor: pointer;
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

/* a run's tags and notes in its detail tab */
.flowlab-annotations .flowlab-tag {
  display: inline-block;
  background: var(--jp-layout-color2);
  border-radius: 9px;
  padding: 0 7px;
  margin-right: 4px;
  font-size: 90%;
}

.flowlab-annotations .flowlab-notes {
  margin: 4px 0;
  padding-left: 18px;
}
`,""]),r.d(o,{},{A:l})},314(e){e.exports=function(e){var o=[];return o.toString=function(){return this.map(function(o){var r="",t=void 0!==o[5];return o[4]&&(r+="@supports (".concat(o[4],") {")),o[2]&&(r+="@media ".concat(o[2]," {")),t&&(r+="@layer".concat(o[5].length>0?" ".concat(o[5]):""," {")),r+=e(o),t&&(r+="}"),o[2]&&(r+="}"),o[4]&&(r+="}"),r}).join("")},o.i=function(e,r,t,a,n){"string"==typeof e&&(e=[[null,e,void 0]]);var l={};if(t)for(var i=0;i<this.length;i++){var s=this[i][0];null!=s&&(l[s]=!0)}for(var c=0;c<e.length;c++){var p=[].concat(e[c]);t&&l[p[0]]||(void 0!==n&&(void 0===p[5]||(p[1]="@layer".concat(p[5].length>0?" ".concat(p[5]):""," {").concat(p[1],"}")),p[5]=n),r&&(p[2]&&(p[1]="@media ".concat(p[2]," {").concat(p[1],"}")),p[2]=r),a&&(p[4]?(p[1]="@supports (".concat(p[4],") {").concat(p[1],"}"),p[4]=a):p[4]="".concat(a)),o.push(p))}},o}},601(e){e.exports=function(e){return e[1]}},72(e){var o=[];function r(e){for(var r=-1,t=0;t<o.length;t++)if(o[t].identifier===e){r=t;break}return r}function t(e,t){for(var a={},n=[],l=0;l<e.length;l++){var i=e[l],s=t.base?i[0]+t.base:i[0],c=a[s]||0,p="".concat(s," ").concat(c);a[s]=c+1;var u=r(p),d={css:i[1],media:i[2],sourceMap:i[3],supports:i[4],layer:i[5]};if(-1!==u)o[u].references++,o[u].updater(d);else{var f=function(e,o){var r=o.domAPI(o);return r.update(e),function(o){o?(o.css!==e.css||o.media!==e.media||o.sourceMap!==e.sourceMap||o.supports!==e.supports||o.layer!==e.layer)&&r.update(e=o):r.remove()}}(d,t);t.byIndex=l,o.splice(l,0,{identifier:p,updater:f,references:1})}n.push(p)}return n}e.exports=function(e,a){var n=t(e=e||[],a=a||{});return function(e){e=e||[];for(var l=0;l<n.length;l++){var i=r(n[l]);o[i].references--}for(var s=t(e,a),c=0;c<n.length;c++){var p=r(n[c]);0===o[p].references&&(o[p].updater(),o.splice(p,1))}n=s}}},659(e){var o={};e.exports=function(e,r){var t=function(e){if(void 0===o[e]){var r=document.querySelector(e);if(window.HTMLIFrameElement&&r instanceof window.HTMLIFrameElement)try{r=r.contentDocument.head}catch(e){r=null}o[e]=r}return o[e]}(e);if(!t)throw Error("Couldn't find a style target. This probably means that the value for the 'insert' parameter is invalid.");t.appendChild(r)}},540(e){e.exports=function(e){var o=document.createElement("style");return e.setAttributes(o,e.attributes),e.insert(o,e.options),o}},56(e,o,r){e.exports=function(e){var o=r.nc;o&&e.setAttribute("nonce",o)}},825(e){e.exports=function(e){if("u"<typeof document)return{update:function(){},remove:function(){}};var o=e.insertStyleElement(e);return{update:function(r){var t,a,n;t="",r.supports&&(t+="@supports (".concat(r.supports,") {")),r.media&&(t+="@media ".concat(r.media," {")),(a=void 0!==r.layer)&&(t+="@layer".concat(r.layer.length>0?" ".concat(r.layer):""," {")),t+=r.css,a&&(t+="}"),r.media&&(t+="}"),r.supports&&(t+="}"),(n=r.sourceMap)&&"u">typeof btoa&&(t+="\n/*# sourceMappingURL=data:application/json;base64,".concat(btoa(unescape(encodeURIComponent(JSON.stringify(n))))," */")),e.styleTagTransform(t,o,e.options)},remove:function(){var e;null===(e=o).parentNode||e.parentNode.removeChild(e)}}}},113(e){e.exports=function(e,o){if(o.styleSheet)o.styleSheet.cssText=e;else{for(;o.firstChild;)o.removeChild(o.firstChild);o.appendChild(document.createTextNode(e))}}},579(e,o,r){var t=r(72),a=r.n(t),n=r(825),l=r.n(n),i=r(659),s=r.n(i),c=r(56),p=r.n(c),u=r(540),d=r.n(u),f=r(113),b=r.n(f),v=r(475),m={};m.styleTagTransform=b(),m.setAttributes=p(),m.insert=s().bind(null,"head"),m.domAPI=l(),m.insertStyleElement=d(),a()(v.A,m),v.A&&v.A.locals&&v.A.locals}}]);